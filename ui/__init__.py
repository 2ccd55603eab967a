"""UI layer helpers: cached resources, login and role checks. Only pages import this."""
