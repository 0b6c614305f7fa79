"""tinyblog: a Flask blog. Schema changes go through Alembic (see alembic/versions)."""
