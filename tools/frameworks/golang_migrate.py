"""golang-migrate: `<version>_<name>.up.sql` / `.down.sql` pairs in one folder.

golang-migrate reads one folder (not its subfolders), takes the leading digits of each file
name as an unsigned version, and applies versions in numeric order; files whose names do not
parse are skipped without a word, which is why they are warnings here. There is no config file:
the folder and the database URL come from the `migrate -path ... -database ...` command line a
Makefile, script or docker-compose file runs, and the dialect from that URL or from the
database driver in go.mod.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from datetime import datetime

from ..errors import HistoryError
from ..repo import RepoFacts
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .sqlnaming import (
    SNAKE,
    VersionScheme,
    dialect_from_url,
    display_url,
    driver_dialects,
    env_reference,
    find_lines,
    infer_style,
    next_version,
    numbering_warnings,
    parse_env_file,
    scheme_of,
    slugify,
)

_FILE = re.compile(r"(?P<version>[0-9]+)_(?P<name>.*)\.(?P<direction>up|down)\.(?P<ext>[^/]+)$")
_FILES_REASON = "golang-migrate files (<version>_<name>.up.sql / .down.sql)"
_MODULE = re.compile(r"github\.com/golang-migrate/migrate")
#: Files where the `migrate` command line usually lives.
_COMMAND_FILES = re.compile(
    r"(^|/)(Makefile|GNUmakefile|[^/]+\.mk|Taskfile\.ya?ml|justfile|[^/]*compose[^/]*\.ya?ml|"
    r"[^/]+\.sh|\.env\.example|\.env\.sample)$"
)
#: `-path db/migrations`, `-path=./x`, `"-path", "/migrations"` (compose arrays), `-source file://x`.
_PATH_ARG = re.compile(r"-(?:path|dir|source)(?:=|[\s\"',]+)(?:file://)?([^\s\"',\]]+)")
_DATABASE_ARG = re.compile(r"-database(?:=|[\s\"',]+)(?:\"([^\"]*)\"|'([^']*)'|([^\s\"',\]]+))")
#: The migrate CLI itself (not `prisma migrate`, `knex migrate:latest`, `manage.py migrate`).
_MIGRATE_COMMAND = re.compile(
    r"(?<![\w:./-])migrate\s+(?:create\b|-(?:path|source|database|verbose|dir)\b)"
    r"|\bmigrate/migrate\b"
)
_MAKE_VARIABLE = re.compile(r"^\s*(?:export\s+)?(\w+)\s*[:?+]?=\s*(.*?)\s*$")
_COMMON_FOLDERS = ("db/migrations", "migrations", "database/migrations", "db/migration")


@dataclass(frozen=True)
class _File:
    path: str
    version: str
    name: str
    direction: str
    ext: str


class GolangMigrateAdapter:
    name = "golang_migrate"
    title = "golang-migrate"

    # ------------------------------------------------------------------ detect

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        module_lines = [
            hit for path in repo.named("go.mod") for hit in find_lines(repo, path, _MODULE)[:1]
        ]
        command_lines = _command_lines(repo)
        anchors = {posixpath.dirname(e.path) or ".": e for e in module_lines + command_lines}
        folders: dict[str, list[_File]] = {}
        for path in repo.files:
            match = _FILE.search(posixpath.basename(path))
            if match:
                folders.setdefault(posixpath.dirname(path) or ".", []).append(_parse(path))
        out: list[Evidence] = []
        claimed: set[str] = set()
        for folder, files in sorted(folders.items()):
            has_pair = bool(
                {f.version for f in files if f.direction == "up"}
                & {f.version for f in files if f.direction == "down"}
            )
            root = _owning_root(folder, list(anchors))
            if root is None and not has_pair:
                continue  # lone numbered up files are plain SQL, not evidence of golang-migrate
            lines = [EvidenceLine(folder, None, f"{len(files)} {_FILES_REASON}")]
            confidence = 0.6
            if root is not None:
                claimed.add(root)
                lines += [
                    e
                    for e in module_lines + command_lines
                    if (posixpath.dirname(e.path) or ".") == root
                ]
                confidence = 0.95 if has_pair else 0.85
            else:
                root = _root_of_folder(folder)
            out.append(Evidence(self.name, confidence, tuple(lines), root=root))
        shared = {e.root for e in out if sum(o.root == e.root for o in out) > 1}
        # Several histories under one go.mod (one folder per database): each folder becomes
        # its own root, so they can be told apart (golang_migrate@db/migrations/analytics).
        out = [replace(e, root=_folder_of(e)) if e.root in shared else e for e in out]
        for root in sorted(set(anchors) - claimed):
            lines = [
                e
                for e in module_lines + command_lines
                if (posixpath.dirname(e.path) or ".") == root
            ]
            if any(_MODULE.search(e.text) for e in lines):
                out.append(Evidence(self.name, 0.5, tuple(lines), root=root))
        return out

    # ------------------------------------------------------------------ config

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        folder = next((r.path for r in evidence.reasons if r.text.endswith(_FILES_REASON)), None)
        # go.mod, the Makefile and the example env files live at the anchor, which is above
        # the folder when the folder had to become the root.
        root = next(
            (posixpath.dirname(r.path) or "." for r in evidence.reasons if r.line is not None),
            root,
        )
        command_files = [r.path for r in evidence.reasons if _COMMAND_FILES.search(r.path)]
        path_arg, database_arg, database_value, sources = _command_args(repo, root, command_files)
        if folder is None:
            if path_arg:
                folder = path_arg
            else:
                prefix = "" if root == "." else root + "/"
                folder = next(
                    (prefix + f for f in _COMMON_FOLDERS if repo.under(prefix + f)),
                    prefix + "db/migrations",
                )
        dialect = dialect_from_url(database_value) if database_value else None
        if dialect is None and database_arg and (name := env_reference(database_arg)):
            dialect = _dialect_from_env_examples(repo, root, name)
        if dialect is None:
            drivers = driver_dialects(repo, root)
            dialect = next(iter(drivers)) if len(drivers) == 1 else None
            sources += [d.path for d in drivers.values()] if len(drivers) == 1 else []
        go_mod = ("" if root == "." else root + "/") + "go.mod"
        config_files = tuple(
            dict.fromkeys([*([go_mod] if go_mod in repo.files else []), *command_files, *sources])
        )
        return FrameworkConfig(
            framework=self.name,
            root=evidence.root,
            migrations_dir=folder,
            dialect=dialect,
            database_url=display_url(database_arg) if database_arg else None,
            config_files=config_files,
            settings={"path_from": "command line" if path_arg else "folder"},
        )

    # ------------------------------------------------------------------ history

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        ups, downs, warnings = _scan(repo, config.migrations_dir)
        versions = sorted(set(ups) | set(downs))
        refs: list[MigrationRef] = []
        for version in versions:
            up, down = ups.get(version), downs.get(version)
            if up is None and down is not None:
                warnings.append(HistoryWarning("down without up: no matching .up file", down.path))
            elif down is None and up is not None:
                warnings.append(HistoryWarning("up without down: no matching .down file", up.path))
            main = up or down
            assert main is not None
            refs.append(
                MigrationRef(
                    id=str(version),
                    path=main.path,
                    name=main.name,
                    parents=(refs[-1].id,) if refs else (),
                    has_down=down is not None,
                )
            )
        raw = [(ups.get(v) or downs[v]).version for v in versions]
        if raw and all(scheme_of(v).kind == "sequential" for v in raw):
            warnings += numbering_warnings(
                [(int(v), (ups.get(int(v)) or downs[int(v)]).path) for v in raw]
            )
        elif raw and len({scheme_of(v).kind for v in raw}) > 1:
            warnings.append(HistoryWarning("mixed numbering: sequential and timestamp versions"))
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
        ups, downs, _ = _scan(repo, config.migrations_dir)
        files = [ups.get(v) or downs[v] for v in sorted(set(ups) | set(downs))]
        version = next_version([f.version for f in files], now, VersionScheme("sequential", 6))
        style = infer_style([f.name for f in files], SNAKE)
        ext = files[-1].ext if files else "sql"
        return posixpath.join(
            config.migrations_dir, f"{version}_{slugify(description, style)}.up.{ext}"
        )

    def migration_sql(
        self, repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef
    ) -> tuple[str, str | None]:
        ups, downs, _ = _scan(repo, config.migrations_dir)
        version = int(ref.id)
        up = repo.read(ups[version].path) if version in ups else ""
        return up, repo.read(downs[version].path) if version in downs else None


# ---------------------------------------------------------------------- helpers


def _parse(path: str) -> _File:
    match = _FILE.fullmatch(posixpath.basename(path))
    assert match is not None
    return _File(path, match["version"], match["name"], match["direction"], match["ext"])


def _scan(
    repo: RepoFacts, folder: str
) -> tuple[dict[int, _File], dict[int, _File], list[HistoryWarning]]:
    """Up and down files by version, as golang-migrate's file source reads one folder."""
    prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
    files = [f for f in repo.under(folder) if "/" not in f[len(prefix) :]]
    if not files:
        raise HistoryError(
            f"{folder}: migrations directory not found",
            "create it or pass its path to migrate with -path",
        )
    ups: dict[int, _File] = {}
    downs: dict[int, _File] = {}
    warnings: list[HistoryWarning] = []
    for path in sorted(files):
        name = posixpath.basename(path)
        if not _FILE.fullmatch(name):
            if name.endswith(".sql"):
                warnings.append(
                    HistoryWarning(
                        "irregular name, golang-migrate ignores it "
                        "(expected <version>_<name>.up.sql or .down.sql)",
                        path,
                    )
                )
            continue
        f = _parse(path)
        table = ups if f.direction == "up" else downs
        version = int(f.version)
        if version in table:
            raise HistoryError(
                f"{path}: duplicate migration version {version} (also {table[version].path})",
                "renumber one of the two files; golang-migrate refuses duplicate versions",
            )
        table[version] = f
    return ups, downs, warnings


def _command_lines(repo: RepoFacts) -> list[EvidenceLine]:
    """`migrate -path ...`, `migrate create -dir ...` and migrate/migrate images in scripts."""
    out: list[EvidenceLine] = []
    for path in repo.files:
        if _COMMAND_FILES.search(path) and not path.endswith((".env.example", ".env.sample")):
            out += find_lines(repo, path, _MIGRATE_COMMAND)[:2]
    return out


def _compose_volume(text: str, container_path: str) -> str | None:
    """The host folder a compose file mounts at `container_path` (`./db/migrations:/migrations`)."""
    pattern = re.compile(
        r"[\s\"'-]([.\w/-]+):" + re.escape(container_path.rstrip("/")) + r"/?(?::\w+)?[\"']?\s*$"
    )
    for line in text.splitlines():
        match = pattern.search(line)
        if match:
            return match[1]
    return None


def _command_args(
    repo: RepoFacts, root: str, files: list[str]
) -> tuple[str | None, str | None, str | None, list[str]]:
    """What the migrate command line says: the folder (-path/-source/-dir), the database
    argument as written (`$(DB_URL)`) and as expanded from a variable of the same file, and
    the files these came from."""
    path_arg: str | None = None
    database_arg: str | None = None
    database_value: str | None = None
    sources: list[str] = []
    for file in files:
        text = repo.read(file)
        variables = {m[1]: m[2] for line in text.splitlines() if (m := _MAKE_VARIABLE.match(line))}
        for line in text.splitlines():
            if not _MIGRATE_COMMAND.search(line) and not re.search(r"-(path|database)\b", line):
                continue
            match = _PATH_ARG.search(line)
            if match and path_arg is None:
                raw = _expand(match[1], variables)
                if raw.startswith("/"):
                    raw = _compose_volume(text, raw) or raw.lstrip("/")
                path_arg = posixpath.normpath(posixpath.join(root, raw.removeprefix("./")))
                sources.append(file)
            match = _DATABASE_ARG.search(line)
            if match and database_arg is None:
                database_arg = match[1] or match[2] or match[3]
                database_value = _expand(database_arg, variables)
                sources.append(file)
    return path_arg, database_arg, database_value, sources


def _expand(value: str, variables: dict[str, str]) -> str:
    """Expand a whole-value make variable (`$(DB_URL)`) defined in the same Makefile; its
    default is enough to read a scheme from, even when it holds `$(DB_PASSWORD)`."""
    name = env_reference(value)
    if name and name in variables:
        return variables[name].strip("\"'")
    return value


def _dialect_from_env_examples(repo: RepoFacts, root: str, name: str) -> str | None:
    """The scheme of `name` in an example env file (the real `.env` is never read here)."""
    prefix = "" if root == "." else root + "/"
    for example in (".env.example", ".env.sample", ".env.dist"):
        if prefix + example in repo.files:
            values = parse_env_file(repo.read(prefix + example), prefix + example)
            if name in values and (dialect := dialect_from_url(values[name].value)):
                return dialect
    return None


def _folder_of(evidence: Evidence) -> str:
    """The migrations folder an evidence was built from (its root when it has none)."""
    return next((r.path for r in evidence.reasons if r.text.endswith(_FILES_REASON)), evidence.root)


def _owning_root(folder: str, roots: list[str]) -> str | None:
    above = [r for r in roots if r == "." or folder == r or folder.startswith(r + "/")]
    return max(above, key=lambda r: -1 if r == "." else len(r), default=None)


def _root_of_folder(folder: str) -> str:
    for tail in _COMMON_FOLDERS:
        if folder == tail:
            return "."
        if folder.endswith("/" + tail):
            return folder[: -len(tail) - 1]
    return posixpath.dirname(folder) or "."


ADAPTER = GolangMigrateAdapter()
