"""The domain: plain classes and the rules of templates, contracts and envelopes. No SQLAlchemy, no
I/O."""
