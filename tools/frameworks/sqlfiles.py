"""Plain numbered SQL files: the fallback when no migration framework claims a folder.

Many projects keep `migrations/001_init.sql`, `002-add-users.sql` ... and apply them with a
shell script or by hand. The only conventions are the number (applied in numeric order) and
an optional `.up.sql` / `.down.sql` pair. Detection is deliberately timid: a folder is claimed
only under a conventional name (migrations, sql, db, schema) and only when nothing in it
belongs to a real framework (Flyway's `V1__`, golang-migrate pairs, dbmate and goose markers,
Prisma's lock file, Drizzle's journal), so this adapter never competes with another one.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime

from ..errors import HistoryError
from ..repo import RepoFacts
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .sqlnaming import (
    KEBAB,
    SNAKE,
    VersionScheme,
    dialect_from_url,
    driver_dialects,
    infer_style,
    next_version,
    numbering_warnings,
    parse_env_file,
    scheme_of,
    short_list,
    slugify,
)

FOLDER_NAMES = frozenset({"migrations", "migration", "sql", "db", "schema", "schemas", "database"})
_FILE = re.compile(
    r"(?P<number>\d+)(?P<sep>[_\-]?)(?P<name>[^/]*?)(?P<direction>\.up|\.down)?\.sql"
)
_FLYWAY = re.compile(r"[VUR]\d*(?:[._]\d+)*__.*\.sql")
_FOREIGN_MARKERS = re.compile(
    r"^--\s*(?:migrate:up|\+goose\s+up|\+migrate\s+up)\b", re.IGNORECASE | re.MULTILINE
)
_FILES_REASON = "numbered SQL files"
#: Client invocations in scripts that give the dialect away.
_CLIENTS = (
    ("sqlite", re.compile(r"(^|[\s;|&(])sqlite3\s")),
    ("postgresql", re.compile(r"(^|[\s;|&(])psql\s")),
    ("mysql", re.compile(r"(^|[\s;|&(])(mysql|mariadb)\s+(-|<|\$)")),
)
_IMAGES = (
    ("postgresql", re.compile(r"image:\s*[\"']?(\S+/)?(postgres|postgis)\b")),
    ("mysql", re.compile(r"image:\s*[\"']?(\S+/)?(mysql|mariadb)\b")),
)
_CONTENT = (
    ("sqlite", re.compile(r"\bAUTOINCREMENT\b|\bPRAGMA\b", re.IGNORECASE)),
    ("mysql", re.compile(r"\bAUTO_INCREMENT\b|\bENGINE\s*=", re.IGNORECASE)),
    ("postgresql", re.compile(r"\b(BIG)?SERIAL\b|\bTIMESTAMPTZ\b|\bJSONB\b|::\w", re.IGNORECASE)),
)


class SqlFilesAdapter:
    name = "sqlfiles"
    title = "plain SQL"

    # ------------------------------------------------------------------ detect

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        folders: dict[str, list[str]] = {}
        for path in repo.files:
            folder = posixpath.dirname(path)
            if posixpath.basename(folder) in FOLDER_NAMES and _FILE.fullmatch(
                posixpath.basename(path)
            ):
                folders.setdefault(folder, []).append(path)
        out = []
        for folder, paths in sorted(folders.items()):
            if _claimed_elsewhere(repo, folder, paths):
                continue
            lines = [EvidenceLine(folder, None, f"{len(paths)} {_FILES_REASON}")]
            lines += _runner_lines(repo, posixpath.dirname(folder) or ".", folder)
            confidence = 0.4 if len(lines) > 1 else 0.3
            # The folder is the whole configuration, so it is the root: two histories in one
            # repo (`migrations/` and `sql/`) stay apart as sqlfiles@migrations, sqlfiles@sql.
            out.append(Evidence(self.name, confidence, tuple(lines), root=folder))
        return out

    # ------------------------------------------------------------------ config

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        folder = next(
            (r.path for r in evidence.reasons if r.text.endswith(_FILES_REASON)), evidence.root
        )
        scripts = [r.path for r in evidence.reasons if r.line is not None]
        dialect, source = _dialect(repo, posixpath.dirname(folder) or ".", folder, scripts)
        url = _url_reference(repo, scripts)
        settings = {"dialect_from": source} if source else {}
        return FrameworkConfig(
            framework=self.name,
            root=evidence.root,
            migrations_dir=folder,
            dialect=dialect,
            database_url=url,
            config_files=tuple(dict.fromkeys(scripts)),
            settings=settings,
        )

    # ------------------------------------------------------------------ history

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        ups, downs, warnings = _scan(repo, config.migrations_dir)
        refs: list[MigrationRef] = []
        for key in sorted(ups, key=_order):
            path, _number, name = ups[key]
            refs.append(
                MigrationRef(
                    id=key,
                    path=path,
                    name=name,
                    parents=(refs[-1].id,) if refs else (),
                    has_down=key in downs,
                )
            )
        for key, (path, _, _) in sorted(downs.items()):
            if key not in ups:
                warnings.append(HistoryWarning("down file without an up file", path))
        missing = [r.id for r in refs if not r.has_down]
        if downs and missing:
            warnings.append(
                HistoryWarning(f"up without down: {len(missing)} files ({short_list(missing)})")
            )
        numbers = [ups[r.id][1] for r in refs]
        if numbers and all(scheme_of(n).kind == "sequential" for n in numbers):
            warnings += numbering_warnings([(int(ups[r.id][1]), r.path) for r in refs])
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
        ups, _, _ = _scan(repo, config.migrations_dir)
        ordered = [ups[k] for k in sorted(ups, key=_order)]
        numbers = [number for _, number, _ in ordered]
        number = next_version(numbers, now, VersionScheme("sequential", 3))
        separator, suffix = "_", ".sql"
        if ordered:
            match = _FILE.fullmatch(posixpath.basename(ordered[-1][0]))
            assert match is not None
            separator = match["sep"] or "_"
            suffix = ".up.sql" if match["direction"] else ".sql"
        default = KEBAB if separator == "-" else SNAKE
        style = infer_style([name for _, _, name in ordered if name], default)
        name = f"{number}{separator}{slugify(description, style)}{suffix}"
        return posixpath.join(config.migrations_dir, name)

    def migration_sql(
        self, repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef
    ) -> tuple[str, str | None]:
        _, downs, _ = _scan(repo, config.migrations_dir)
        down = downs.get(ref.id)
        return repo.read(ref.path), repo.read(down[0]) if down else None


# ---------------------------------------------------------------------- helpers


def _order(key: str) -> tuple[int, str]:
    match = re.match(r"\d+", key)
    return (int(match[0]) if match else 0, key)


def _scan(
    repo: RepoFacts, folder: str
) -> tuple[dict[str, tuple[str, str, str]], dict[str, tuple[str, str, str]], list[HistoryWarning]]:
    """Up and down files keyed by stem (`003_add_users`): (path, number as written, name)."""
    prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
    files = [f for f in repo.under(folder) if "/" not in f[len(prefix) :]]
    if not files:
        raise HistoryError(
            f"{folder}: migrations directory not found",
            "create the folder or point migwright at the one holding the numbered .sql files",
        )
    ups: dict[str, tuple[str, str, str]] = {}
    downs: dict[str, tuple[str, str, str]] = {}
    warnings: list[HistoryWarning] = []
    for path in sorted(files):
        base = posixpath.basename(path)
        match = _FILE.fullmatch(base)
        if match is None:
            if base.endswith(".sql"):
                warnings.append(
                    HistoryWarning("irregular name: not numbered, so not applied", path)
                )
            continue
        key = f"{match['number']}{match['sep']}{match['name']}"
        entry = (path, match["number"], match["name"])
        (downs if match["direction"] == ".down" else ups)[key] = entry
    return ups, downs, warnings


def _claimed_elsewhere(repo: RepoFacts, folder: str, paths: list[str]) -> bool:
    """Whether files of a real framework sit in (or around) this folder."""
    names = {posixpath.basename(p) for p in repo.under(folder)}
    if any(_FLYWAY.fullmatch(n) for n in names):
        return True
    stems_up = {n[: -len(".up.sql")] for n in names if n.endswith(".up.sql")}
    stems_down = {n[: -len(".down.sql")] for n in names if n.endswith(".down.sql")}
    if stems_up & stems_down:
        return True
    parent = posixpath.dirname(folder)
    for marker in (
        f"{folder}/migration_lock.toml",
        f"{folder}/meta/_journal.json",
        posixpath.join(parent, "migration_lock.toml"),
    ):
        if marker in repo.files:
            return True
    return any(_FOREIGN_MARKERS.search(repo.read(p)) for p in paths)


def _runner_lines(repo: RepoFacts, root: str, folder: str) -> list[EvidenceLine]:
    """Script lines that apply the folder (`for f in migrations/*.sql; do sqlite3 ...`)."""
    name = posixpath.basename(folder)
    pattern = re.compile(rf"(^|[\s\"'/(]){re.escape(name)}/")
    out: list[EvidenceLine] = []
    for path in repo.under(root):
        if path.startswith(folder + "/"):
            continue
        if re.search(r"(\.sh|\.bash|/Makefile|^Makefile|\.mk|\.ps1)$", path):
            for number, line in enumerate(repo.read(path).splitlines(), start=1):
                if line.lstrip().startswith("#"):
                    continue
                if pattern.search(line) or any(p.search(line) for _, p in _CLIENTS):
                    out.append(EvidenceLine(path, number, line.strip()[:200]))
                    break
    return out


def _dialect(
    repo: RepoFacts, root: str, folder: str, scripts: list[str]
) -> tuple[str | None, str | None]:
    """The dialect, and where it was read: a client in a script, an example env file, a
    compose image, a driver dependency, and last the SQL itself."""
    for script in scripts:
        text = repo.read(script)
        found = {d for d, p in _CLIENTS if p.search(text)}
        if len(found) == 1:
            return found.pop(), script
    prefix = "" if root == "." else root + "/"
    for example in (".env.example", ".env.sample"):
        if prefix + example in repo.files:
            for value in parse_env_file(repo.read(prefix + example), prefix + example).values():
                if dialect := dialect_from_url(value.value):
                    return dialect, prefix + example
    for compose in ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml"):
        if prefix + compose in repo.files:
            text = repo.read(prefix + compose)
            found = {d for d, p in _IMAGES if p.search(text)}
            if len(found) == 1:
                return found.pop(), prefix + compose
    drivers = driver_dialects(repo, root)
    if len(drivers) == 1:
        dialect, line = next(iter(drivers.items()))
        return dialect, line.path
    text = "\n".join(repo.read(p) for p in repo.under(folder) if p.endswith(".sql"))
    found = {d for d, p in _CONTENT if p.search(text)}
    if len(found) == 1:
        return found.pop(), folder
    return None, None


def _url_reference(repo: RepoFacts, scripts: list[str]) -> str | None:
    """`${DATABASE_URL}` when a runner script reads the URL from the environment."""
    for script in scripts:
        match = re.search(r"\$\{?((?:DATABASE|DB)_URL)\b", repo.read(script))
        if match:
            return f"${{{match[1]}}}"
    return None


ADAPTER = SqlFilesAdapter()
