"""Where each framework's renderer and runner live.

Renderers (`<framework>_render.render`) and runners (`<framework>_runner.apply/rollback/replay`)
are modules of their own beside the adapter, so an adapter stays about reading the repo. This
lookup is the one place that knows the module names; a framework whose module is missing is
reported as "not supported yet" by the caller, never silently skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: Runner modules shared by several frameworks (SQL-file histories share one runner).
_RUNNER_MODULES = {
    "flyway": "flyway_runner",
    "golang_migrate": "golang_migrate_runner",
    "sqlfiles": "sqlfiles_runner",
}


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__package__}.{name}":
            return None
        raise


def renderer(framework: str) -> Callable[..., Any] | None:
    module = _module(f"{framework}_render")
    return None if module is None else getattr(module, "render", None)


def runner(framework: str) -> ModuleType | None:
    """The module with `apply(repo, config, db, upto)` and `rollback(repo, config, db, steps)`."""
    module = _module(_RUNNER_MODULES.get(framework, f"{framework}_runner"))
    if module is None or not hasattr(module, "apply") or not hasattr(module, "rollback"):
        return None
    return module
