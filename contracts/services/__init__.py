"""Use cases: what the CLI and the pages call. Each takes a unit of work and runs in it."""
