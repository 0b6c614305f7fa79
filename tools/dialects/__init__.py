"""SQL dialects: one module per database, each exposing `DIALECT` (see `base.Dialect`).

`get(name)` accepts the names people and URLs use ("postgres", "pg", "mariadb" ...). Modules
are imported on first use, the way a plugin would be found, so adding a dialect is one module
plus one line in `_MODULES`.
"""

from __future__ import annotations

import importlib

from ..errors import DialectError
from .base import Dialect, Statement

#: Accepted name -> (module, attribute holding the Dialect).
_MODULES: dict[str, tuple[str, str]] = {
    "postgresql": ("postgres", "DIALECT"),
    "postgres": ("postgres", "DIALECT"),
    "pg": ("postgres", "DIALECT"),
    "mysql": ("mysql", "DIALECT"),
    "mariadb": ("mysql", "MARIADB"),
    "sqlite": ("sqlite", "DIALECT"),
    "sqlite3": ("sqlite", "DIALECT"),
}

#: The canonical names, as `Dialect.name` spells them.
NAMES: tuple[str, ...] = ("postgresql", "mysql", "sqlite")


def get(name: str | Dialect, version: tuple[int, ...] | None = None) -> Dialect:
    """The dialect called `name` (a Dialect passes through), optionally for a server version."""
    if isinstance(name, Dialect):
        dialect = name
    else:
        key = name.strip().lower()
        if key not in _MODULES:
            raise DialectError(
                f"unknown SQL dialect {name!r}",
                "use postgresql (postgres, pg), mysql (mariadb) or sqlite",
            )
        module, attribute = _MODULES[key]
        dialect = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    return dialect.with_version(version) if version is not None else dialect


__all__ = ["NAMES", "Dialect", "Statement", "get"]
