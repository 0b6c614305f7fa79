"""What the five JavaScript adapters share: manifests, paths, dialect names, file names.

Prisma, Sequelize, Knex, TypeORM and Drizzle differ in their config files but agree on the
rest: a package.json says which libraries are installed, paths in configs are relative to the
project folder or to `__dirname`, driver names map onto our three dialects, and next-migration
names are built from a UTC timestamp and a slug of the description. Keeping that here keeps
each adapter about its own framework.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ..errors import ConfigError, HistoryError, MigwrightError
from ..repo import RepoFacts, redact
from .base import EvidenceLine, History, HistoryWarning, MigrationRef
from .jsconfig import DIRNAME, JsModule
from .jslex import JsSyntaxError
from .jssource import exported_names

#: Driver, client and provider names of the JS ecosystem -> our dialect names.
DIALECTS: dict[str, str] = {
    **dict.fromkeys(
        ["pg", "postgres", "postgresql", "pg-native", "pgnative", "aurora-postgres", "pglite"],
        "postgresql",
    ),
    **dict.fromkeys(["mysql", "mysql2", "mariadb", "aurora-mysql"], "mysql"),
    **dict.fromkeys(
        ["sqlite", "sqlite3", "better-sqlite3", "better-sqlite", "libsql", "@libsql/client",
         "turso", "sqljs", "expo", "d1-http", "capacitor", "react-native"],
        "sqlite",
    ),
}  # fmt: skip

#: npm packages that are database drivers, for a dialect when the config does not say.
DRIVER_PACKAGES: dict[str, str] = {
    "pg": "postgresql",
    "postgres": "postgresql",
    "@neondatabase/serverless": "postgresql",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mariadb": "mysql",
    "sqlite3": "sqlite",
    "better-sqlite3": "sqlite",
    "@libsql/client": "sqlite",
}

_TIMESTAMP_14 = re.compile(r"^(\d{14})")
_DEPS_BLOCK = re.compile(r'"(?:dev|peer|optional)?[dD]ependencies"\s*:\s*\{')


def dialect_of(name: object) -> str | None:
    """Our dialect for a driver/client/provider name, None when it is not one we support."""
    return DIALECTS.get(str(name).strip().lower()) if isinstance(name, str) else None


def dialect_from_dependencies(deps: set[str]) -> str | None:
    """The one dialect whose driver package is installed, None when zero or several are."""
    found = {DRIVER_PACKAGES[d] for d in deps if d in DRIVER_PACKAGES}
    return found.pop() if len(found) == 1 else None


def folder_of(path: str) -> str:
    """The folder of a relative path, "." for the repo root."""
    return posixpath.dirname(path) or "."


def join(folder: str, rel: str) -> str:
    """`rel` under `folder`, normalised and relative to the repo root ("." for the root)."""
    rel = rel.strip()
    joined = posixpath.normpath(posixpath.join(folder, rel)) if folder != "." else rel
    joined = posixpath.normpath(joined)
    return "." if joined in ("", ".") else joined.removeprefix("./")


def config_path(value: str, file_dir: str, project_dir: str) -> str:
    """A path from a JS config, relative to the repo root.

    `__dirname`-based paths are relative to the config file's folder; everything else is
    relative to the folder the CLI runs in, which is the project folder (package.json).
    """
    if value.startswith(DIRNAME):
        return join(file_dir, value[len(DIRNAME) :].lstrip("/") or ".")
    if value.startswith("/"):
        return value
    return join(project_dir, value)


def project_dir(repo: RepoFacts, folder: str) -> str:
    """The nearest folder at or above `folder` with a package.json (else `folder` itself)."""
    current = folder
    while True:
        if join(current, "package.json") in repo.files:
            return current
        if current == ".":
            return folder
        current = folder_of(current)


def line_of(text: str, pattern: str | re.Pattern[str]) -> tuple[int | None, str]:
    """The first line matching a regular expression, 1-based, with its stripped text."""
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    for number, line in enumerate(text.splitlines(), start=1):
        if regex.search(line):
            return number, line.strip()
    return None, ""


def file_reason(repo: RepoFacts, path: str, pattern: str | None = None) -> EvidenceLine:
    """Evidence that points at a file, and at its first line matching `pattern` if any."""
    if pattern is None:
        return EvidenceLine(path, None, path)
    line, text = line_of(repo.read(path), pattern)
    return EvidenceLine(path, line, redact(text) if text else path)


def dependency_reasons(repo: RepoFacts, folder: str, names: tuple[str, ...]) -> list[EvidenceLine]:
    """The package.json lines (at `folder`) that declare any of `names` as a dependency.

    Only lines inside a dependencies/devDependencies block count, so a script named like
    the package (`"typeorm": "typeorm-ts-node-commonjs"`) is not taken for it.
    """
    manifest = join(folder, "package.json")
    if manifest not in repo.files:
        return []
    installed = repo.npm_dependencies(manifest)
    wanted = {name: re.compile(r'^\s*"' + re.escape(name) + r'"\s*:') for name in names}
    found: dict[str, EvidenceLine] = {}
    in_deps = False
    for number, line in enumerate(repo.read(manifest).splitlines(), start=1):
        if _DEPS_BLOCK.search(line):
            in_deps = True
            continue
        if in_deps and "}" in line:
            in_deps = False
        for name, pattern in wanted.items():
            if in_deps and name in installed and name not in found and pattern.search(line):
                found[name] = EvidenceLine(manifest, number, line.strip().rstrip(","))
    for name in names:  # minified manifests: no line, but still evidence
        if name in installed and name not in found:
            found[name] = EvidenceLine(manifest, None, f'"{name}" in dependencies')
    return [found[name] for name in names if name in found]


def read_module(repo: RepoFacts, path: str, error: type[MigwrightError], hint: str) -> JsModule:
    """Tokenize a JS/TS file, turning a syntax problem into `error` naming file:line."""
    try:
        return JsModule(repo.read(path))
    except JsSyntaxError as exc:
        raise error(f"{path}:{exc.line}: {exc}", hint) from None


def config_module(repo: RepoFacts, path: str, framework: str) -> JsModule:
    """A config file's module; malformed source is a ConfigError with file:line."""
    return read_module(
        repo, path, ConfigError, f"fix the syntax of {path} so {framework} can load it"
    )


def migration_module(repo: RepoFacts, path: str, framework: str) -> JsModule:
    """A migration file's module; malformed source is a HistoryError with file:line."""
    return read_module(
        repo,
        path,
        HistoryError,
        f"fix or remove {path}: {framework} cannot load a migration with a syntax error",
    )


def build_url(
    scheme: str,
    user: object = None,
    password: object = None,
    host: object = None,
    port: object = None,
    database: object = None,
) -> str:
    """A database URL from config parts, its password shown as `***`."""
    auth = ""
    if user:
        auth = f"{user}:***@" if password else f"{user}@"
    where = str(host or "localhost") + (f":{port}" if port else "")
    return f"{scheme}://{auth}{where}/{database or ''}"


# -- next-migration names -------------------------------------------------------------------
def words(description: str) -> list[str]:
    """Lower-case words of a description ("Add shippedAt to orders" -> add shipped at to orders)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", description)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def snake(description: str) -> str:
    return "_".join(words(description)) or "migration"


def kebab(description: str) -> str:
    return "-".join(words(description)) or "migration"


def pascal(description: str) -> str:
    return "".join(w.capitalize() for w in words(description)) or "Migration"


def utc(now: datetime) -> datetime:
    """`now` in UTC; a naive datetime is taken to be UTC already (the CLIs all use UTC)."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def stamp14(now: datetime, after: Iterable[str] = ()) -> str:
    """A YYYYMMDDHHMMSS stamp in UTC, moved one second past the newest of `after`.

    The CLIs use the clock as it is; a clock behind the newest existing migration would give
    a name that sorts before it and runs out of order, so we step past it instead.
    """
    moment = utc(now).replace(microsecond=0)
    newest = max((m[1] for s in after if (m := _TIMESTAMP_14.match(s))), default=None)
    if newest is not None:
        try:
            last = datetime.strptime(newest, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            last = None
        if last is not None and moment <= last:
            moment = last + timedelta(seconds=1)
    return moment.strftime("%Y%m%d%H%M%S")


def stamp_ms(now: datetime) -> int:
    """Milliseconds since the epoch, as TypeORM and Drizzle stamp migrations."""
    return int(utc(now).timestamp() * 1000)


# -- linear histories ---------------------------------------------------------------------
def linear_history(migrations: list[MigrationRef], warnings: list[HistoryWarning]) -> History:
    """A history where each migration's parent is the one before it, one head at the end."""
    chained: list[MigrationRef] = []
    for ref in migrations:
        parents = (chained[-1].id,) if chained else ()
        chained.append(replace(ref, parents=parents))
    heads = (chained[-1].id,) if chained else ()
    return History(tuple(chained), heads, tuple(warnings))


def duplicate_stamps(
    names: list[tuple[str, str]], stamp: re.Pattern[str], what: str = "timestamp"
) -> list[HistoryWarning]:
    """Warnings for (path, name) pairs whose leading stamp (group 1) repeats."""
    seen: dict[str, str] = {}
    warnings = []
    for path, name in names:
        m = stamp.match(name)
        if not m:
            continue
        if m[1] in seen:
            warnings.append(
                HistoryWarning(
                    f"duplicate {what} {m[1]} (also {seen[m[1]]}); order between "
                    "the two is by name only",
                    path,
                )
            )
        else:
            seen[m[1]] = path
    return warnings


def missing_dir(path: str, framework: str, hint: str) -> HistoryError:
    """The error for a migrations folder that is not there."""
    return HistoryError(f"{path}: migrations directory not found ({framework})", hint)


def files_in(repo: RepoFacts, folder: str, extensions: tuple[str, ...]) -> list[str]:
    """Files directly in `folder` (not below) whose name ends with one of `extensions`.

    Declaration files (`.d.ts`) are skipped: the CLIs that load `.ts` migrations skip them too.
    """
    prefix = "" if folder == "." else folder + "/"
    return sorted(
        f
        for f in repo.under(folder)
        if "/" not in f[len(prefix) :] and f.endswith(extensions) and not f.endswith(".d.ts")
    )


def usual_extension(paths: list[str], default: str) -> str:
    """The extension (without dot) most of `paths` have, `default` when there are none."""
    counts: dict[str, int] = {}
    for path in paths:
        ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
        counts[ext] = counts.get(ext, 0) + 1
    return max(counts, key=lambda e: (counts[e], e == default)) if counts else default


def check_up_down(
    repo: RepoFacts, path: str, framework: str, down_required: bool
) -> tuple[bool, list[HistoryWarning]]:
    """Whether a JS migration exports `down`; no `up` (or no required `down`) is fatal."""
    names = exported_names(migration_module(repo, path, framework))
    if "up" not in names:
        raise HistoryError(
            f"{path}:1: migration exports no up function",
            f"export an up function from {path}; {framework} cannot run it otherwise",
        )
    if "down" in names:
        return True, []
    if down_required:
        raise HistoryError(
            f"{path}:{names['up']}: migration has up but no down",
            f"add a down function to {path}; {framework} refuses migrations without one",
        )
    return False, [
        HistoryWarning("up without down: this migration cannot be undone", path, names["up"])
    ]
