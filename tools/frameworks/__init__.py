"""Registry of framework adapters.

Each module below defines one adapter and exposes it as `ADAPTER`; built-ins are found the same
way a plugin would be (simonw/llm registers its own models through the plugin hook), so adding a
framework is adding a module and its name here.
"""

from __future__ import annotations

import importlib
from functools import cache

from .base import Framework

#: Module names under migwright.tools.frameworks, in the order detection reports ties.
BUILTIN_MODULES = (
    "alembic",
    "django",
    "prisma",
    "sequelize",
    "knex",
    "typeorm",
    "drizzle",
    "flyway",
    "golang_migrate",
    "dbmate",
    "rails",
    "sqlfiles",
)


@cache
def registry() -> dict[str, Framework]:
    """Framework name -> adapter, for every built-in module that is present."""
    adapters: dict[str, Framework] = {}
    for module_name in BUILTIN_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{module_name}":
                continue
            raise
        adapter: Framework = module.ADAPTER
        adapters[adapter.name] = adapter
    return adapters
