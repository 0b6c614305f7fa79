"""The Framework protocol and the values adapters exchange.

One adapter per framework (Alembic's one-module-per-dialect shape): a newcomer adding a
framework reads this file and one adapter, and copies its shape. Adapters read files as text
(`ast` for Python, JSON/TOML parsers, regular expressions for file names); they never import or
run the user's code during analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..repo import RepoFacts


@dataclass(frozen=True)
class EvidenceLine:
    """One file (and line, when it is one line) that points at a framework."""

    path: str
    line: int | None
    text: str


@dataclass(frozen=True)
class Evidence:
    """Why an adapter believes the repo uses its framework.

    `confidence` is 0..1: a config file plus migrations is near 1, a dependency in a manifest
    with no migrations yet is lower. `root` is the folder (relative, "." for the repo root) the
    framework's config lives in, so a monorepo can hold the same framework twice.
    """

    framework: str
    confidence: float
    reasons: tuple[EvidenceLine, ...]
    root: str = "."


@dataclass(frozen=True)
class FrameworkConfig:
    """What an adapter read from the framework's configuration.

    `database_url` is already redacted (no password). `dialect` is one of "postgresql",
    "mysql", "sqlite" or None when the config does not say. `migrations_dir` is relative to the
    repo root. `settings` keeps framework-specific extras (Alembic's file_template, Knex's
    extension, Django's apps ...) as plain strings for display and for the renderer.
    """

    framework: str
    root: str
    migrations_dir: str
    dialect: str | None = None
    database_url: str | None = None
    config_files: tuple[str, ...] = ()
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MigrationRef:
    """One migration of the history.

    `id` is what the framework calls it (Alembic revision, Django "app.0003_name", a Flyway
    version, a file stem). `parents` are the ids it depends on (Alembic down_revision and
    depends_on, Django dependencies; for linear file-based frameworks the previous id).
    `has_down` says whether a reverse exists (a down file, a downgrade(), a U file).
    """

    id: str
    path: str
    name: str
    parents: tuple[str, ...] = ()
    app: str | None = None
    has_down: bool = True
    replaces: tuple[str, ...] = ()
    kind: str = "versioned"


@dataclass(frozen=True)
class HistoryWarning:
    """Something odd in the history that does not stop analysis (gap, duplicate, two heads)."""

    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


@dataclass(frozen=True)
class History:
    """The migrations in the order the framework applies them, with heads (leaves)."""

    migrations: tuple[MigrationRef, ...]
    heads: tuple[str, ...]
    warnings: tuple[HistoryWarning, ...] = ()

    @property
    def last(self) -> MigrationRef | None:
        return self.migrations[-1] if self.migrations else None


class Framework(Protocol):
    """What every adapter provides. `name` is the registry key (e.g. "alembic")."""

    name: str
    #: Human name for tables and messages (e.g. "golang-migrate").
    title: str

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        """Every place in the repo this framework is used (empty when none)."""
        ...

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        """Read the framework's configuration; raise ConfigError when it is malformed."""
        ...

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        """The ordered history; raise HistoryError for a cycle, a dangling parent, a bad file."""
        ...

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        """The relative path the next migration gets, following the repo's own convention."""
        ...
