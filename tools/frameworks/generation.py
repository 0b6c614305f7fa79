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
    "golang_migrate": "sqlfw_runner",
    "sqlfiles": "sqlfw_runner",
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


def update_models(framework: str, repo: Any, config: Any, history: Any, plan: Any) -> list[Any]:
    """The framework's model files brought in step with the plan (Django models, SQLAlchemy
    models, schema.prisma, Sequelize models, TypeORM entities), or [] where there are none.

    Returns `File(kind="model", existing=True)` values; notes of what could not be edited come
    back as the second element of TypeORM's result and are dropped here (the plan lists them).
    """
    if framework == "django":
        module = _module("django_models")
        return list(module.update_models(repo, config, history, plan)) if module else []
    if framework == "typeorm":
        module = _module("typeorm_entities")
        return list(module.update_entities(repo, config, plan).files) if module else []
    module = _module(f"{framework}_models")
    if module is None or not hasattr(module, "update_models"):
        return []
    return list(module.update_models(repo, config, plan))
