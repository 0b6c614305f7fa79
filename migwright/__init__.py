"""migwright: writes database migrations for a codebase and proves them on a real database."""

__version__ = "0.1.0"
