"""Source profiles: how each help desk's export maps to tickets and change events."""
