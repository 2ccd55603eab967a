"""Adapters: the database (ORM, migrations, repositories, unit of work, audit chain), mail and the
seal."""
