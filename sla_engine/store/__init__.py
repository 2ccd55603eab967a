"""The ticket store: the Delta Lake table of facts, each host's cache of derived generations,
its maintenance (compaction, vacuum) and the migration from the older layout.
"""
