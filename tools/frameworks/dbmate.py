"""dbmate: one `<version>_<name>.sql` file per migration with `-- migrate:up` / `-- migrate:down`.

dbmate takes every `*.sql` file whose name starts with digits in its migrations folder
(`db/migrations` unless DBMATE_MIGRATIONS_DIR says otherwise), orders them by file name, and
splits each at its `-- migrate:up` and `-- migrate:down` markers; a marker line may carry
options such as `transaction:false`. It refuses a file without an up marker, with statements
before it, or with the down marker first. The database URL is the DATABASE_URL environment
variable, usually set in a `.env` file: its value is a secret and is only ever shown as
`${DATABASE_URL}`; the URL's scheme is read for the dialect and nothing else.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import datetime

from ..errors import HistoryError
from ..repo import RepoFacts
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .sqlnaming import (
    SNAKE,
    VersionScheme,
    dialect_from_url,
    find_lines,
    infer_style,
    next_version,
    parse_env_file,
    slugify,
)

DEFAULT_DIR = "db/migrations"
DEFAULT_SCHEMA = "db/schema.sql"
_FILE = re.compile(r"(?P<version>\d+)(?P<rest>[^/]*)\.sql$")
_UP = re.compile(r"^--\s*migrate:up(?:[ \t]+(?P<options>\S.*?))?[ \t]*$", re.MULTILINE)
_DOWN = re.compile(r"^--\s*migrate:down(?:[ \t]+(?P<options>\S.*?))?[ \t]*$", re.MULTILINE)
_FILES_REASON = "dbmate migrations (-- migrate:up)"
_TOOL_MENTION = re.compile(r"\bdbmate\b|amacneil/dbmate")
_URL_FLAG = re.compile(r"(?:--url|-u)(?:=|\s+)[\"']?([A-Za-z][\w+.-]*:[^\s\"']*)")
_SCHEMA_DIALECT = (
    ("postgresql", re.compile(r"^SET statement_timeout|pg_catalog\.", re.MULTILINE)),
    ("mysql", re.compile(r"^/\*!40\d{3} SET|ENGINE=InnoDB", re.MULTILINE)),
    ("sqlite", re.compile(r"CREATE TABLE IF NOT EXISTS \"schema_migrations\" \(version varchar")),
)


@dataclass(frozen=True)
class ParsedMigration:
    """A dbmate file split at its markers; `down` is None when there is no down marker."""

    up: str
    down: str | None
    up_options: str
    down_options: str


def parse_migration(text: str, path: str) -> ParsedMigration:
    """Split a file the way dbmate does, raising what dbmate would refuse as HistoryError."""
    up = _UP.search(text)
    down = _DOWN.search(text)
    if up is None:
        raise HistoryError(
            f"{path}:1: no '-- migrate:up' marker; dbmate refuses the file",
            "put '-- migrate:up' on its own line above the migration's SQL",
        )
    if down is not None and down.start() < up.start():
        line = text.count("\n", 0, down.start()) + 1
        raise HistoryError(
            f"{path}:{line}: '-- migrate:down' comes before '-- migrate:up'",
            "move the down section below the up section",
        )
    for number, line_text in enumerate(text[: up.start()].splitlines(), start=1):
        stripped = line_text.strip()
        if stripped and not stripped.startswith("--"):
            raise HistoryError(
                f"{path}:{number}: statement before '-- migrate:up'; dbmate refuses the file",
                "move the statement below the '-- migrate:up' marker",
            )
    up_text = text[up.start() : down.start() if down else len(text)]
    down_text = text[down.start() :] if down else None
    return ParsedMigration(
        up=up_text,
        down=down_text,
        up_options=up["options"] or "",
        down_options=(down["options"] or "") if down else "",
    )


def _has_sql(section: str | None) -> bool:
    """Whether a section holds anything but its marker, comments and blank lines."""
    if section is None:
        return False
    return any(line.strip() and not line.strip().startswith("--") for line in section.splitlines())


class DbmateAdapter:
    name = "dbmate"
    title = "dbmate"

    # ------------------------------------------------------------------ detect

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        """Folders whose numbered SQL files carry `-- migrate:up`, plus dbmate mentions.

        The marker decides: golang-migrate and plain numbered SQL files look the same by name.
        Only numbered SQL files are read, and a folder stops being read at its first hit.
        """
        folders: dict[str, list[str]] = {}
        for path in repo.files:
            if _FILE.fullmatch(posixpath.basename(path)) and not path.endswith(
                (".up.sql", ".down.sql")
            ):
                folders.setdefault(posixpath.dirname(path) or ".", []).append(path)
        mentions = self._mentions(repo)
        out: list[Evidence] = []
        for folder, paths in sorted(folders.items()):
            hit = next((p for p in sorted(paths) if _UP.search(repo.read(p))), None)
            if hit is None:
                continue
            root = _root_of_folder(folder, repo)
            lines = [EvidenceLine(folder, None, f"{len(paths)} {_FILES_REASON}")]
            lines += [m for m in mentions if (posixpath.dirname(m.path) or ".") == root]
            confidence = 0.95 if len(lines) > 1 else 0.85
            out.append(Evidence(self.name, confidence, tuple(lines), root=root))
        if not out:
            # dbmate named in a manifest but no migrations yet: a weak hint of where they go.
            by_root: dict[str, list[EvidenceLine]] = {}
            for mention in mentions:
                by_root.setdefault(posixpath.dirname(mention.path) or ".", []).append(mention)
            for root, lines in sorted(by_root.items()):
                out.append(Evidence(self.name, 0.5, tuple(lines), root=root))
        return out

    @staticmethod
    def _mentions(repo: RepoFacts) -> list[EvidenceLine]:
        out: list[EvidenceLine] = []
        for path in repo.named(
            "package.json",
            "go.mod",
            "Makefile",
            "docker-compose.yml",
            "docker-compose.yaml",
            "compose.yaml",
            "Brewfile",
        ):
            out += find_lines(repo, path, _TOOL_MENTION)[:1]
        for path in repo.named(".env", ".env.example"):
            out += find_lines(repo, path, re.compile(r"^\s*(export\s+)?DBMATE_"))[:1]
        return out

    # ------------------------------------------------------------------ config

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        prefix = "" if root == "." else root + "/"
        env_files = [
            prefix + n for n in (".env", ".env.example", ".env.sample") if prefix + n in repo.files
        ]
        values: dict[str, str] = {}
        for path in reversed(env_files):  # .env wins over the examples
            values.update({k: v.value for k, v in parse_env_file(repo.read(path), path).items()})
        url_variable = values.get("DBMATE_ENV", "DATABASE_URL")
        folder = next((r.path for r in evidence.reasons if r.text.endswith(_FILES_REASON)), None)
        configured = values.get("DBMATE_MIGRATIONS_DIR", "").split(",")[0].strip()
        if folder is None:
            folder = posixpath.normpath(prefix + (configured.removeprefix("./") or DEFAULT_DIR))
        schema_file = prefix + values.get("DBMATE_SCHEMA_FILE", DEFAULT_SCHEMA).removeprefix("./")
        dialect = dialect_from_url(values.get(url_variable, "")) or self._dialect_elsewhere(
            repo, evidence, schema_file
        )
        settings = {"url_variable": url_variable, "schema_file": schema_file}
        if "DBMATE_MIGRATIONS_TABLE" in values:
            settings["migrations_table"] = values["DBMATE_MIGRATIONS_TABLE"]
        config_files = [*env_files, *([schema_file] if schema_file in repo.files else [])]
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=folder,
            dialect=dialect,
            database_url=f"${{{url_variable}}}" if url_variable in values or env_files else None,
            config_files=tuple(config_files),
            settings=settings,
        )

    @staticmethod
    def _dialect_elsewhere(repo: RepoFacts, evidence: Evidence, schema_file: str) -> str | None:
        """`--url scheme:...` on a dbmate command line, else the shape of the schema dump."""
        for reason in evidence.reasons:
            match = _URL_FLAG.search(reason.text) if reason.line is not None else None
            if match and (dialect := dialect_from_url(match[1])):
                return dialect
        if schema_file in repo.files:
            text = repo.read(schema_file)
            for dialect, pattern in _SCHEMA_DIALECT:
                if pattern.search(text):
                    return dialect
        return None

    # ------------------------------------------------------------------ history

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        files, warnings = _scan(repo, config.migrations_dir)
        refs: list[MigrationRef] = []
        seen: dict[str, str] = {}
        for path, version, name in files:
            if version in seen:
                raise HistoryError(
                    f"{path}: version {version} is also used by {seen[version]}",
                    "renumber one of the two files; dbmate would skip the second as applied",
                )
            seen[version] = path
            parsed = parse_migration(repo.read(path), path)
            if parsed.down is None:
                warnings.append(HistoryWarning("missing down section ('-- migrate:down')", path))
            elif not _has_sql(parsed.down):
                warnings.append(HistoryWarning("empty down section: cannot be rolled back", path))
            refs.append(
                MigrationRef(
                    id=version,
                    path=path,
                    name=name,
                    parents=(refs[-1].id,) if refs else (),
                    has_down=_has_sql(parsed.down),
                )
            )
        if len({len(ref.id) for ref in refs}) > 1:
            warnings.append(
                HistoryWarning(
                    "versions of different lengths: dbmate applies files in name order, "
                    "not numeric order"
                )
            )
        warnings += _schema_warnings(repo, config, refs)
        return History(tuple(refs), (refs[-1].id,) if refs else (), tuple(warnings))

    # ------------------------------------------------------------------ names and SQL

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        files, _ = _scan(repo, config.migrations_dir, must_exist=False)
        versions = [version for _, version, _ in files]
        version = next_version(versions, now, VersionScheme("timestamp", 14, "%Y%m%d%H%M%S"))
        style = infer_style([name for _, _, name in files], SNAKE)
        return posixpath.join(config.migrations_dir, f"{version}_{slugify(description, style)}.sql")

    def migration_sql(
        self, repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef
    ) -> tuple[str, str | None]:
        parsed = parse_migration(repo.read(ref.path), ref.path)
        return parsed.up, parsed.down if _has_sql(parsed.down) else None


# ---------------------------------------------------------------------- helpers


def _scan(
    repo: RepoFacts, folder: str, must_exist: bool = True
) -> tuple[list[tuple[str, str, str]], list[HistoryWarning]]:
    """(path, version, name) of the migrations in file-name order, and irregular names."""
    prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
    files = [f for f in repo.under(folder) if "/" not in f[len(prefix) :]]
    if not files and must_exist:
        raise HistoryError(
            f"{folder}: migrations directory not found",
            "create it, or set DBMATE_MIGRATIONS_DIR in .env to the folder of the migrations",
        )
    out: list[tuple[str, str, str]] = []
    warnings: list[HistoryWarning] = []
    for path in sorted(files, key=posixpath.basename):
        base = posixpath.basename(path)
        match = _FILE.fullmatch(base)
        if match is None:
            if base.endswith(".sql"):
                warnings.append(
                    HistoryWarning(
                        "irregular name, dbmate ignores it (expected <version>_<name>.sql)", path
                    )
                )
            continue
        out.append((path, match["version"], match["rest"].lstrip("_-")))
    return out, warnings


def _schema_warnings(
    repo: RepoFacts, config: FrameworkConfig, refs: list[MigrationRef]
) -> list[HistoryWarning]:
    """db/schema.sql lists the applied versions at its end; a missing last one means the dump
    was not regenerated after the newest migration."""
    schema_file = config.settings.get("schema_file", DEFAULT_SCHEMA)
    if not refs or schema_file not in repo.files:
        return []
    text = repo.read(schema_file)
    match = re.search(
        r"INSERT INTO [\w.`\"]*schema_migrations[`\"]? \(version\) VALUES(.*?);",
        text,
        re.DOTALL | re.IGNORECASE,
    )
    if match is None:
        return []
    versions = set(re.findall(r"'(\d+)'", match[1]))
    if refs[-1].id not in versions:
        return [
            HistoryWarning(
                f"schema file is behind: it does not list the last migration {refs[-1].id} "
                "(run dbmate dump)",
                schema_file,
            )
        ]
    return []


def _root_of_folder(folder: str, repo: RepoFacts) -> str:
    """The project a migrations folder belongs to: above `db/migrations`, or the nearest
    folder with a `.env` naming it."""
    if folder == DEFAULT_DIR:
        return "."
    if folder.endswith("/" + DEFAULT_DIR):
        return folder[: -len(DEFAULT_DIR) - 1]
    parent = posixpath.dirname(folder)
    while True:
        env = posixpath.join(parent, ".env") if parent else ".env"
        if env in repo.files:
            return parent or "."
        if not parent:
            return posixpath.dirname(folder) or "."
        parent = posixpath.dirname(parent)


ADAPTER = DbmateAdapter()
