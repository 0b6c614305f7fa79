"""Prisma Migrate: `schema.prisma` and `prisma/migrations/<timestamp>_<name>/migration.sql`.

Prisma keeps no revision graph: the folders under `migrations/` are applied in the order of
their names, each holding one `migration.sql` (plus an optional hand-written `down.sql`
when a team keeps them), and `migration_lock.toml` pins the provider the history was written
for. The schema's `datasource` block says the provider and where the URL comes from
(`env("DATABASE_URL")` or a literal), which is all the configuration migwright needs.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime

from ..errors import ConfigError, HistoryError
from ..repo import RepoFacts, redact
from .base import Evidence, FrameworkConfig, History, HistoryWarning, MigrationRef
from .jsproject import (
    dependency_reasons,
    dialect_of,
    duplicate_stamps,
    file_reason,
    folder_of,
    join,
    linear_history,
    missing_dir,
    project_dir,
    snake,
    stamp14,
)

_DATASOURCE = re.compile(r"(?m)^\s*datasource\s+\w+\s*\{")
_BLOCK = re.compile(r"^\s*(datasource|generator|model|enum|view|type)\s+(\w+)\s*\{")
_FIELD = re.compile(r"^\s*(\w+)\s*=\s*(.+?)\s*$")
_ENV_CALL = re.compile(r'^env\(\s*"([^"]+)"\s*\)$')
_REGULAR = re.compile(r"^(\d{14})_[A-Za-z0-9_]+$")
_BASELINE = re.compile(r"^0_[A-Za-z0-9_]+$")
#: Providers Prisma Migrate supports whose SQL is not one of our three dialects.
_OTHER_PROVIDERS = {"cockroachdb", "sqlserver"}


@dataclass(frozen=True)
class Datasource:
    """The `datasource` block: name, its fields (value source text) and their lines."""

    path: str
    name: str
    line: int
    fields: dict[str, tuple[str, int]]


def _strip_comment(line: str) -> str:
    """The line without a `//` comment, leaving `//` inside a quoted string (URLs) alone."""
    in_string = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", i):
            return line[:i]
    return line


def read_datasources(repo: RepoFacts, path: str) -> list[Datasource]:
    """Every `datasource` block of a .prisma file; an unclosed block is a ConfigError."""
    found: list[Datasource] = []
    current: Datasource | None = None
    opened_at = 0
    depth = 0
    for number, raw in enumerate(repo.read(path).splitlines(), start=1):
        line = _strip_comment(raw)
        if depth == 0 and (m := _BLOCK.match(line)):
            opened_at = number
            if m[1] == "datasource":
                current = Datasource(path, m[2], number, {})
                found.append(current)
        elif depth == 1 and current is not None and (f := _FIELD.match(line)):
            current.fields[f[1]] = (f[2], number)
        depth += line.count("{") - line.count("}")
        if depth < 0:
            raise ConfigError(f"{path}:{number}: unmatched '}}'", f"fix the braces in {path}")
        if depth == 0:
            current = None
    if depth > 0:
        raise ConfigError(
            f"{path}:{opened_at}: block is never closed", f"add the missing '}}' in {path}"
        )
    return found


def _value(source: str) -> str:
    """A field value for display: `env("X")` as `${X}`, a string without its quotes."""
    if m := _ENV_CALL.match(source):
        return "${" + m[1] + "}"
    if len(source) >= 2 and source[0] == source[-1] == '"':
        return source[1:-1]
    return source


class Prisma:
    name = "prisma"
    title = "Prisma"

    # -- detection -----------------------------------------------------------------------
    def _schemas(self, repo: RepoFacts) -> list[str]:
        """One schema file per folder: the one with the datasource, else `schema.prisma`.

        A multi-file schema (`prisma/schema/*.prisma`) is one project, not one per file; a
        `schema.prisma` without a datasource still counts so that config() can say so. A
        package.json `"prisma": {"schema": ...}` names the project's schema, and other schema
        files of that project (a test schema, a scratch copy) are then not second projects.
        """
        by_folder: dict[str, str] = {}
        for path in repo.files:
            if not path.endswith(".prisma"):
                continue
            folder = folder_of(path)
            if _DATASOURCE.search(repo.read(path)):
                by_folder[folder] = path
            elif path.rsplit("/", 1)[-1] == "schema.prisma":
                by_folder.setdefault(folder, path)
        pinned = self._pinned(repo)
        chosen = {
            path for path in by_folder.values() if project_dir(repo, folder_of(path)) not in pinned
        }
        chosen.update(p for p in pinned.values() if p in repo.files)
        return sorted(chosen)

    def _pinned(self, repo: RepoFacts) -> dict[str, str]:
        """Project folder -> the schema its package.json names under `prisma.schema`."""
        pinned = {}
        for manifest in repo.named("package.json"):
            try:
                data = json.loads(repo.read(manifest))
            except ValueError:
                continue
            prisma = data.get("prisma") if isinstance(data, dict) else None
            if isinstance(prisma, dict) and isinstance(prisma.get("schema"), str):
                folder = folder_of(manifest)
                schema = join(folder, prisma["schema"])
                if not schema.endswith(".prisma"):  # a folder of schema files
                    schema = next(
                        (
                            f
                            for f in self._folder_files(repo, schema)
                            if _DATASOURCE.search(repo.read(f))
                        ),
                        schema,
                    )
                pinned[folder] = schema
        return pinned

    def _folder_files(self, repo: RepoFacts, folder: str) -> list[str]:
        return sorted(
            f for f in repo.under(folder) if f.endswith(".prisma") and folder_of(f) == folder
        )

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        evidence = []
        for schema in self._schemas(repo):
            folder = folder_of(schema)
            root = project_dir(repo, folder)
            reasons = [file_reason(repo, schema, r"^\s*datasource\s")]
            deps = dependency_reasons(repo, root, ("prisma", "@prisma/client"))
            reasons += deps
            lock = join(folder, "migrations/migration_lock.toml")
            has_history = lock in repo.files or any(
                f.endswith("/migration.sql") for f in repo.under(join(folder, "migrations"))
            )
            if has_history:
                reasons.append(
                    file_reason(repo, lock)
                    if lock in repo.files
                    else file_reason(repo, join(folder, "migrations"))
                )
            confidence = 0.7 + (0.15 if deps else 0.0) + (0.1 if has_history else 0.0)
            evidence.append(Evidence(self.name, round(confidence, 2), tuple(reasons), root))
        return evidence

    # -- configuration -------------------------------------------------------------------
    def _schema_for(self, repo: RepoFacts, evidence: Evidence) -> str:
        for reason in evidence.reasons:
            if reason.path.endswith(".prisma"):
                return reason.path
        raise ConfigError(
            f"{evidence.root}: no Prisma schema in the evidence",
            "run detection again on the repository root",
        )

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        schema = self._schema_for(repo, evidence)
        folder = folder_of(schema)
        # A multi-file schema keeps its datasource in one file of the folder.
        sources = [ds for f in self._folder_files(repo, folder) for ds in read_datasources(repo, f)]
        if not sources:
            raise ConfigError(
                f"{schema}:1: no datasource block",
                'add `datasource db { provider = "postgresql" url = env("DATABASE_URL") }`',
            )
        if len(sources) > 1:
            second = sources[1]
            raise ConfigError(
                f"{second.path}:{second.line}: a second datasource block "
                f"({sources[0].name} is at {sources[0].path}:{sources[0].line})",
                "Prisma allows exactly one datasource; remove the extra block",
            )
        source = sources[0]
        if "provider" not in source.fields:
            raise ConfigError(
                f"{source.path}:{source.line}: datasource {source.name} has no provider",
                'add `provider = "postgresql"` (or "mysql", "sqlite") to the datasource block',
            )
        provider = _value(source.fields["provider"][0])
        settings = {"provider": provider, "schema": schema, "datasource": source.name}
        if provider in _OTHER_PROVIDERS or provider == "mongodb":
            settings["warning"] = (
                f"provider {provider} is not a dialect migwright validates (postgresql, mysql, "
                "sqlite)"
                if provider != "mongodb"
                else "Prisma Migrate does not support MongoDB"
            )
        url = None
        if "url" in source.fields:
            url = redact(_value(source.fields["url"][0]))
        for extra in ("directUrl", "shadowDatabaseUrl"):
            if extra in source.fields:
                settings[extra] = redact(_value(source.fields[extra][0]))
        files = [schema] if source.path == schema else [schema, source.path]
        if "package.json" in repo.files and isinstance(repo.package_json.get("prisma"), dict):
            files.append("package.json")
        return FrameworkConfig(
            framework=self.name,
            root=evidence.root,
            migrations_dir=join(folder_of(source.path), "migrations"),
            dialect=dialect_of(provider),
            database_url=url,
            config_files=tuple(files),
            settings=settings,
        )

    # -- history -------------------------------------------------------------------------
    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        base = config.migrations_dir
        files = repo.under(base)
        if not files and not repo.path(base).is_dir():
            raise missing_dir(
                base,
                self.title,
                "create the first migration with `npx prisma migrate dev "
                "--name init`, or point the schema at the folder that holds the migrations",
            )
        folders = sorted(
            {f[len(base) + 1 :].split("/", 1)[0] for f in files if "/" in f[len(base) + 1 :]}
        )
        warnings: list[HistoryWarning] = []
        if "warning" in config.settings:
            warnings.append(HistoryWarning(config.settings["warning"], config.settings["schema"]))
        migrations: list[MigrationRef] = []
        for name in folders:
            folder = f"{base}/{name}"
            sql = f"{folder}/migration.sql"
            if sql not in repo.files:
                raise HistoryError(
                    f"{folder}: no migration.sql in a migration folder",
                    f"restore {sql} or delete the folder; Prisma refuses to run without it",
                )
            if not (_REGULAR.match(name) or _BASELINE.match(name)):
                warnings.append(
                    HistoryWarning(
                        f"irregular name {name!r}: Prisma applies it in name order, not by date",
                        folder,
                    )
                )
            migrations.append(
                MigrationRef(
                    id=name,
                    path=sql,
                    name=name.split("_", 1)[-1],
                    has_down=f"{folder}/down.sql" in repo.files,
                )
            )
        warnings += duplicate_stamps([(m.path, m.id) for m in migrations], _REGULAR)
        warnings += self._lock_warnings(repo, base, config.settings.get("provider"))
        return linear_history(migrations, warnings)

    def _lock_warnings(
        self, repo: RepoFacts, base: str, provider: str | None
    ) -> list[HistoryWarning]:
        lock = f"{base}/migration_lock.toml"
        if lock not in repo.files:
            return [
                HistoryWarning(
                    "migration_lock.toml is missing; Prisma writes it on the next `migrate dev`",
                    base,
                )
            ]
        try:
            locked = tomllib.loads(repo.read(lock)).get("provider")
        except tomllib.TOMLDecodeError as exc:
            return [HistoryWarning(f"unparsable migration_lock.toml: {exc}", lock)]
        if provider and locked and locked != provider:
            line = next(
                (
                    n
                    for n, text in enumerate(repo.read(lock).splitlines(), 1)
                    if text.strip().startswith("provider")
                ),
                None,
            )
            return [
                HistoryWarning(
                    f"migration_lock.toml says provider {locked!r} but the schema says "
                    f"{provider!r}; Prisma refuses to migrate until they agree",
                    lock,
                    line,
                )
            ]
        return []

    def migration_sql(
        self, repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef
    ) -> tuple[str, str | None]:
        """The migration's SQL, and its `down.sql` when the team keeps one."""
        down = folder_of(ref.path) + "/down.sql"
        return repo.read(ref.path), repo.read(down) if down in repo.files else None

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        """`<migrations>/<YYYYMMDDHHMMSS>_<snake_name>/migration.sql`, as `migrate dev` names it."""
        stamp = stamp14(now, [m.id for m in history.migrations])
        return f"{config.migrations_dir}/{stamp}_{snake(description)[:200]}/migration.sql"


ADAPTER = Prisma()
