"""Drizzle Kit: `drizzle.config.ts`, SQL files in `out/`, and the journal that lists them.

Drizzle's migrator does not look at the folder: it reads `<out>/meta/_journal.json` and runs
`<tag>.sql` for each entry in order, splitting each file on `--> statement-breakpoint`. So a
journal entry without its file stops it, while a SQL file the journal does not list is never
run at all (a hand-written file copied into the folder is the usual cause). There are no down
migrations.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from ..errors import ConfigError, HistoryError
from ..repo import RepoFacts, redact
from .base import Evidence, FrameworkConfig, History, HistoryWarning, MigrationRef
from .jslex import JsValue, display
from .jsproject import (
    config_module,
    config_path,
    dependency_reasons,
    dialect_of,
    file_reason,
    files_in,
    folder_of,
    join,
    line_of,
    linear_history,
    missing_dir,
    snake,
    stamp14,
    stamp_ms,
    utc,
)

_CONFIGS = tuple(f"drizzle.config.{ext}" for ext in ("ts", "js", "mjs", "cjs", "mts", "json"))
BREAKPOINT = "--> statement-breakpoint"
#: drizzle-kit `dialect` values (and the older `driver` ones) -> our dialects.
_DIALECTS = {
    "postgresql": "postgresql", "pg": "postgresql", "mysql": "mysql", "mysql2": "mysql",
    "sqlite": "sqlite", "turso": "sqlite", "better-sqlite": "sqlite", "libsql": "sqlite",
    "d1": "sqlite", "d1-http": "sqlite",
}  # fmt: skip
_DEFAULT_OUT = "drizzle"


def split_statements(sql: str) -> list[str]:
    """The statements of a drizzle SQL file, split where drizzle's migrator splits them."""
    return [part.strip() for part in sql.split(BREAKPOINT) if part.strip()]


def journal_entry(
    history: History, tag: str, now: datetime, version: str = "7"
) -> dict[str, object]:
    """The `_journal.json` entry a new migration `<tag>.sql` needs, or drizzle never runs it."""
    return {
        "idx": len(history.migrations),
        "version": version,
        "when": stamp_ms(now),
        "tag": tag,
        "breakpoints": True,
    }


class Drizzle:
    name = "drizzle"
    title = "Drizzle"

    # -- detection -----------------------------------------------------------------------
    def detect(self, repo: RepoFacts) -> list[Evidence]:
        evidence = []
        roots = set()
        for path in repo.named(*_CONFIGS):
            root = folder_of(path)
            roots.add(root)
            reasons = [file_reason(repo, path, r"dialect|driver|out\s*:")]
            deps = dependency_reasons(repo, root, ("drizzle-kit", "drizzle-orm"))
            journals = [f for f in repo.under(root) if f.endswith("/meta/_journal.json")]
            reasons += deps + [file_reason(repo, j) for j in journals[:1]]
            confidence = 0.7 + 0.15 * bool(deps) + 0.1 * bool(journals)
            evidence.append(Evidence(self.name, round(confidence, 2), tuple(reasons), root))
        for journal in repo.glob("**/meta/_journal.json"):
            root = folder_of(folder_of(folder_of(journal)))
            deps = dependency_reasons(repo, root, ("drizzle-kit",))
            if root not in roots and deps:
                roots.add(root)
                found = (file_reason(repo, journal), *deps)
                evidence.append(Evidence(self.name, 0.6, found, root))
        return evidence

    # -- configuration -------------------------------------------------------------------
    def _read(self, repo: RepoFacts, path: str) -> dict[str, JsValue]:
        if path.endswith(".json"):
            try:
                data: JsValue = json.loads(repo.read(path))
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{path}:{exc.lineno}: invalid JSON ({exc.msg})", f"fix the JSON in {path}"
                ) from None
        else:
            data = config_module(repo, path, "drizzle-kit").default_export()
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}:1: the config does not export an object",
                'export `defineConfig({ dialect: "postgresql", schema: ..., out: ... })`',
            )
        return data

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        path = next((join(root, c) for c in _CONFIGS if join(root, c) in repo.files), None)
        data = self._read(repo, path) if path else {}
        raw = data.get("dialect", data.get("driver"))
        if path and "dialect" not in data and "driver" not in data:
            line, _ = line_of(repo.read(path), r"export\s+default|module\.exports")
            raise ConfigError(
                f"{path}:{line or 1}: no dialect in the drizzle config",
                'add `dialect: "postgresql"` (or "mysql", "sqlite")',
            )
        out = data.get("out", _DEFAULT_OUT)
        if not isinstance(out, str):
            out = _DEFAULT_OUT
        found = data.get("migrations")
        migrations = found if isinstance(found, dict) else {}
        settings = {
            "dialect": display(raw) or "",
            "out": out,
            "schema": display(data.get("schema")) or "",
            "prefix": display(migrations.get("prefix")) or "index",
            "table": display(migrations.get("table")) or "__drizzle_migrations",
        }
        creds = data.get("dbCredentials")
        url = None
        if isinstance(creds, dict):
            value = creds.get("url", creds.get("connectionString"))
            url = redact(display(value) or "") if value is not None else None
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=config_path(out, root, root),
            dialect=_DIALECTS.get(str(raw)) if isinstance(raw, str) else dialect_of(raw),
            database_url=url,
            config_files=(path,) if path else (),
            settings=settings,
        )

    # -- history -------------------------------------------------------------------------
    def _journal(self, repo: RepoFacts, out: str) -> tuple[str, dict[str, object]]:
        journal = f"{out}/meta/_journal.json"
        if not repo.path(out).is_dir():
            raise missing_dir(
                out,
                self.title,
                "generate the first migration with "
                "`npx drizzle-kit generate`, or fix `out` in drizzle.config",
            )
        if journal not in repo.files:
            raise HistoryError(
                f"{journal}: journal not found",
                "run `npx drizzle-kit generate`; drizzle's migrator needs it",
            )
        try:
            data = json.loads(repo.read(journal))
        except json.JSONDecodeError as exc:
            raise HistoryError(
                f"{journal}:{exc.lineno}: invalid JSON ({exc.msg})",
                f"restore {journal} from version control",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise HistoryError(
                f"{journal}:1: no entries list in the journal",
                f"restore {journal} from version control",
            )
        return journal, data

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        out = config.migrations_dir
        journal, data = self._journal(repo, out)
        text = repo.read(journal)
        warnings: list[HistoryWarning] = []
        migrations: list[MigrationRef] = []
        listed: set[str] = set()
        entries = data.get("entries")
        for position, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                entry = {}
            tag = entry.get("tag")
            line, _ = line_of(text, f'"tag"\\s*:\\s*"{re.escape(str(tag))}"')
            if not isinstance(tag, str):
                raise HistoryError(
                    f"{journal}: entry {position} has no tag",
                    f"restore {journal} from version control",
                )
            sql = f"{out}/{tag}.sql"
            if sql not in repo.files:
                raise HistoryError(
                    f"{journal}:{line}: journal entry {tag} has no file {sql}",
                    f"restore {sql}, or remove the entry if the migration was never applied",
                )
            if entry.get("idx") != position:
                warnings.append(
                    HistoryWarning(
                        f"journal entry {tag} has idx {entry.get('idx')} at position {position}",
                        journal,
                        line,
                    )
                )
            listed.add(sql)
            name = tag.split("_", 1)[-1]
            migrations.append(MigrationRef(id=tag, path=sql, name=name, has_down=False))
        for sql in files_in(repo, out, (".sql",)):
            if sql not in listed:
                warnings.append(
                    HistoryWarning(
                        "not listed in meta/_journal.json: drizzle's migrator never runs it "
                        "(create custom migrations with `drizzle-kit generate --custom`)",
                        sql,
                    )
                )
        journal_dialect = _DIALECTS.get(str(data.get("dialect")))
        if config.dialect and journal_dialect and journal_dialect != config.dialect:
            warnings.append(
                HistoryWarning(
                    f"the journal was written for {data.get('dialect')} but the config says "
                    f"{config.settings.get('dialect')}",
                    journal,
                )
            )
        return linear_history(migrations, warnings)

    def migration_sql(
        self, repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef
    ) -> tuple[str, str | None]:
        """The migration's statements joined by blank lines (the breakpoint markers removed:
        MySQL does not read `-->` as a comment); drizzle has no down migrations."""
        return "\n\n".join(split_statements(repo.read(ref.path))) + "\n", None

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        """`<out>/<NNNN>_<slug>.sql`, numbered as drizzle-kit's `migrations.prefix` says.

        drizzle-kit picks random words for the slug; we use the description. The file runs
        only once `journal_entry()` is appended to `meta/_journal.json`.
        """
        prefix = config.settings.get("prefix", "index")
        idx = len(history.migrations)
        if prefix in ("timestamp", "supabase"):
            stamp = stamp14(now, [m.id for m in history.migrations])
        elif prefix == "unix":
            stamp = str(int(utc(now).timestamp()))
        elif prefix == "none":
            stamp = ""
        else:
            stamp = f"{idx:04d}"
        slug = snake(description)
        return (
            f"{config.migrations_dir}/{stamp}_{slug}.sql"
            if stamp
            else (f"{config.migrations_dir}/{slug}.sql")
        )


ADAPTER = Drizzle()
