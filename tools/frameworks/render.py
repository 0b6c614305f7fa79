"""What a framework renderer takes and gives: a planned migration in, files out.

Renderers are pure: `render(repo, config, history, plan) -> list[File]`, no writing and no
database. `write_files` (in tools/writer.py) writes them atomically and refuses to overwrite an
existing migration. Runners (`apply` / `rollback`) live beside each adapter and run the
framework's real runner on a scratch database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..ops import Operation, ReversePlan, apply_all, reverse_all
from ..schema import Schema

FileKind = Literal["migration", "down", "model", "journal", "doc", "rollback"]


@dataclass(frozen=True)
class MigrationPlan:
    """A planned migration: operations on a known schema, named the repo's way.

    `name` is the relative path `next_name` gave (the main migration file). `after` and
    `reverse` are derived once here, so every renderer and the validator agree on them.
    """

    operations: tuple[Operation, ...]
    before: Schema
    dialect: str
    description: str
    name: str
    after: Schema = field(init=False)
    reverse: ReversePlan = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "after", apply_all(self.operations, self.before))
        object.__setattr__(self, "reverse", reverse_all(self.operations, self.before))

    @property
    def transactional(self) -> bool:
        """False when any statement must run outside a transaction (CONCURRENTLY, ADD VALUE)."""
        return all(op.transactional for op in self.operations)


@dataclass(frozen=True)
class File:
    """A file to create (`existing=False`) or to replace with new content (models, journals).

    `path` is relative to the repo root with forward slashes.
    """

    path: str
    content: str
    kind: FileKind = "migration"
    existing: bool = False
