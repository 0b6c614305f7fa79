"""Where each framework's renderer and runner live.

Renderers (`<framework>_render.render`) and runners (`<framework>_runner.apply/rollback/replay`)
are modules of their own beside the adapter, so an adapter stays about reading the repo. This
lookup is the one place that knows the module names; a framework whose module is missing is
reported as "not supported yet" by the caller, never silently skipped.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

#: Frameworks whose models are the source of truth: without the model edit the framework's
#: own check (`makemigrations --check`, `prisma migrate diff`) disagrees with the migration, so
#: `migwright new` writes the models by default. Elsewhere the models are shown as a diff and
#: written on `--update-models`.
MODELS_BY_DEFAULT = frozenset({"django", "prisma"})

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
    models, schema.prisma, Sequelize models, TypeORM entities, Drizzle's schema file), or []
    where there are none.

    Returns `File(kind="model")` values (`existing=False` for a new TypeORM entity); notes of
    what could not be edited come back as the second element of TypeORM's result and are
    dropped here (the plan lists them).
    """
    plan = modelled(plan)
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


def expected_after(framework: str, plan: Any) -> Any:
    """The schema the framework's runner leaves after the plan, where it differs from
    `plan.after` (Rails renames the indexes it named when a table or column is renamed).

    A render module may define `expected_after(plan) -> Schema`; without one the plan's own
    `after` is what the runner leaves, and validation compares with that.
    """
    module = _module(f"{framework}_render")
    hook = getattr(module, "expected_after", None) if module is not None else None
    return plan.after if hook is None else hook(plan)


def writes_models(framework: str, asked: bool | None) -> bool:
    """Whether `new` writes the model files: what the person asked, else the default."""
    return framework in MODELS_BY_DEFAULT if asked is None else asked


def model_diff(root: Path, path: str, content: str) -> str:
    """A unified diff (as `git diff` shows it) of a model file against what is on disk; a new
    file (a TypeORM entity for a new table) diffs against /dev/null."""
    target = root / path
    old = target.read_text("utf-8").splitlines(keepends=True) if target.is_file() else []
    lines = difflib.unified_diff(
        old,
        content.splitlines(keepends=True),
        f"a/{path}" if old else "/dev/null",
        f"b/{path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def modelled(plan: Any) -> Any:
    """The plan as model files see it: an operation that guards others (the zero-downtime
    rewrite's `Guarded`: a DO block with lock_timeout retries around an AddColumn, say) is
    replaced by the operations it guards (`effects`), which is what the models must say.
    """
    from .render import MigrationPlan

    operations: list[Any] = []
    for op in plan.operations:
        effects = getattr(op, "effects", None)
        operations.extend(effects if isinstance(effects, tuple) and effects else (op,))
    if len(operations) == len(plan.operations) and all(
        a is b for a, b in zip(operations, plan.operations, strict=True)
    ):
        return plan
    return MigrationPlan(tuple(operations), plan.before, plan.dialect, plan.description, plan.name)
