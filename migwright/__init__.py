"""migwright: writes database migrations for an existing codebase and proves them on a real database."""

__version__ = "0.1.0"
