"""Conventions shared by the file-based adapters (Flyway, golang-migrate, dbmate, Rails, plain SQL).

These frameworks identify a migration by its file name alone, so the same few questions come
back in each of them: which numbering scheme does the repo use (sequential with padding, a
timestamp, unix seconds), what comes next, how are descriptions spelled (snake_case,
kebab-case, CamelCase, "Capitalized_words"), where are the gaps and duplicates, and which
dialect does a database URL or a driver dependency point at. Answering them once here keeps
the adapters to what is really framework-specific, and keeps their answers consistent.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from ..errors import ConfigError
from ..repo import RepoFacts, redact
from .base import EvidenceLine, HistoryWarning

# --------------------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class SlugStyle:
    """How a repo spells the description part of its file names.

    `separator` is "_", "-" or "" (CamelCase); `case` is "lower" (add_users), "capitalized"
    (Add_users, Flyway's documented style), "title" (Add_Users, AddUsers) or "upper".
    """

    separator: str = "_"
    case: str = "lower"

    def render(self, words: Sequence[str]) -> str:
        if self.case == "upper":
            parts = [w.upper() for w in words]
        elif self.case == "title":
            parts = [w[:1].upper() + w[1:] for w in words]
        elif self.case == "capitalized":
            parts = [w[:1].upper() + w[1:] if i == 0 else w for i, w in enumerate(words)]
        else:
            parts = list(words)
        return self.separator.join(parts)


SNAKE = SlugStyle("_", "lower")
KEBAB = SlugStyle("-", "lower")
CAMEL = SlugStyle("", "title")

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(description: str) -> list[str]:
    """The lower-case words of free text: "Add shippedAt to orders!" -> add, shipped, at, ...

    Accents are folded to ASCII because every one of these frameworks restricts file names to
    ASCII in practice (Rails refuses anything but `[_a-z0-9]`).
    """
    ascii_text = unicodedata.normalize("NFKD", description).encode("ascii", "ignore").decode()
    ascii_text = _CAMEL_BOUNDARY.sub(" ", ascii_text)
    found = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", ascii_text) if w]
    return found or ["migration"]


def slugify(description: str, style: SlugStyle = SNAKE) -> str:
    return style.render(words(description))


def style_of(name: str) -> SlugStyle | None:
    """The style one existing description is written in, or None when it cannot tell.

    A single lower-case word ("init") fits every style, so it casts no vote.
    """
    underscores, dashes = name.count("_"), name.count("-")
    if underscores or dashes:
        separator = "_" if underscores >= dashes else "-"
        parts = [p for p in re.split(r"[_\-]+", name) if p]
    elif re.search(r"[a-z0-9][A-Z]", name):
        return CAMEL
    else:
        parts = [name]
        separator = ""
    letters = [p for p in parts if p[:1].isalpha()]
    if not letters:
        return None
    if all(p.isupper() for p in letters) and any(len(p) > 1 for p in letters):
        case = "upper"
    elif len(letters) > 1 and all(p[:1].isupper() for p in letters):
        case = "title"
    elif letters[0][:1].isupper():
        case = "capitalized"
    else:
        case = "lower"
    if not separator:
        if case == "lower":
            return None
        return SlugStyle("_", case) if case != "title" else CAMEL
    return SlugStyle(separator, case)


def infer_style(names: Sequence[str], default: SlugStyle = SNAKE) -> SlugStyle:
    """The style the repo uses now: a vote over its latest descriptions, newest breaking ties.

    Only the last few names count, so a repo that moved from kebab-case to snake_case years ago
    gets snake_case.
    """
    votes = [s for s in (style_of(n) for n in names[-7:]) if s is not None]
    if not votes:
        return default
    counts = Counter(votes)
    best = max(counts.values())
    for style in reversed(votes):
        if counts[style] == best:
            return style
    return default  # pragma: no cover - the loop always returns


# --------------------------------------------------------------------------- version numbers


@dataclass(frozen=True)
class VersionScheme:
    """How versions are numbered: "sequential" (zero-padded to `width`), "timestamp" (strftime
    `fmt`, e.g. %Y%m%d%H%M%S) or "unix" (seconds since the epoch)."""

    kind: str
    width: int = 1
    fmt: str = ""


_TIMESTAMP_FORMATS = {14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M"}


def scheme_of(version: str) -> VersionScheme:
    """Classify one version string; a plausible date or epoch wins over a big counter."""
    fmt = _TIMESTAMP_FORMATS.get(len(version))
    if fmt and version[:2] in ("19", "20"):
        try:
            datetime.strptime(version, fmt)
        except ValueError:
            pass
        else:
            return VersionScheme("timestamp", len(version), fmt)
    if len(version) == 10 and not version.startswith("0") and 10**9 <= int(version) < 4 * 10**9:
        return VersionScheme("unix", 10)
    return VersionScheme("sequential", len(version))


def infer_scheme(versions: Sequence[str], default: VersionScheme) -> VersionScheme:
    """The scheme of the newest version (the convention in force), or `default` when empty."""
    return scheme_of(versions[-1]) if versions else default


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC) if now.tzinfo else now


def next_version(versions: Sequence[str], now: datetime, default: VersionScheme) -> str:
    """The version after the newest one, in the same scheme and width.

    A clock-based version never goes backwards: when `now` is not after the newest version
    (a clock behind, or a version in the future), it is the newest plus one, as Rails'
    `next_migration_number` does, so the new file still sorts last.
    """
    scheme = infer_scheme(versions, default)
    last = max((int(v) for v in versions), default=None)
    if scheme.kind == "timestamp":
        candidate = _utc(now).strftime(scheme.fmt)
    elif scheme.kind == "unix":
        candidate = str(int(now.timestamp()))
    else:
        candidate = str((last or 0) + 1).zfill(scheme.width)
    if last is not None and int(candidate) <= last:
        candidate = str(last + 1).zfill(scheme.width)
    return candidate


def numbering_warnings(
    entries: Iterable[tuple[int, str]], what: str = "migration"
) -> list[HistoryWarning]:
    """Gaps and duplicates in a sequentially numbered history, one warning each.

    `entries` are (number, relative path). Timestamped histories have no gaps to speak of, so
    callers pass only sequential ones.
    """
    by_number: dict[int, list[str]] = {}
    for number, path in entries:
        by_number.setdefault(number, []).append(path)
    out: list[HistoryWarning] = []
    numbers = sorted(by_number)
    for number in numbers:
        paths = by_number[number]
        if len(paths) > 1:
            out.append(
                HistoryWarning(
                    f"duplicate {what} number {number}: {', '.join(paths)}", path=paths[0]
                )
            )
    for before, after in pairwise(numbers):
        if after - before > 1:
            missing = str(before + 1) if after - before == 2 else f"{before + 1}..{after - 1}"
            out.append(
                HistoryWarning(
                    f"gap in numbering: {missing} missing between {by_number[before][-1]} "
                    f"and {by_number[after][0]}",
                    path=by_number[after][0],
                )
            )
    return out


def short_list(items: Sequence[str], limit: int = 8) -> str:
    """`a, b, c and 5 more`: keeps a warning on one line however long the history is."""
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"


# --------------------------------------------------------------------------- dialects and URLs

_SCHEME_DIALECTS = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "pgx": "postgresql",
    "pgx5": "postgresql",
    "postgis": "postgresql",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mariadb": "mysql",
    "trilogy": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
}


def dialect_from_url(url: str) -> str | None:
    """postgres://, jdbc:postgresql:, mysql2://, sqlite3:, postgresql+psycopg:// -> dialect."""
    text = url.strip().strip("'\"")
    if text.lower().startswith("jdbc:"):
        text = text[5:]
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", text)
    if not match:
        return None
    scheme = match[1].lower().split("+", 1)[0]
    return _SCHEME_DIALECTS.get(scheme)


#: A whole value that only names an environment variable, in the spellings config files use.
_ENV_REFERENCES = (
    re.compile(r"\$\{env[.:](\w+)\}"),  # Flyway: ${env.DB_URL}
    re.compile(r"\$\{(\w+)(?::?-[^}]*)?\}"),  # shell / compose: ${DB_URL} ${DB_URL:-x}
    re.compile(r"\$\((\w+)\)"),  # make: $(DB_URL)
    re.compile(r"\$\$\{?(\w+)\}?"),  # make, escaped for the shell: $$DB_URL
    re.compile(r"\$(\w+)"),  # shell: $DB_URL
    re.compile(r"<%=\s*ENV(?:\[\s*|\.fetch\(\s*)['\"](\w+)['\"].*%>"),  # ERB
    re.compile(r"env\(\s*['\"](\w+)['\"]\s*\)"),  # Prisma-style env("X")
)


def env_reference(value: str) -> str | None:
    """The variable name when `value` is only a reference to one (`${X}`, `$(X)`, ERB ...)."""
    text = value.strip().strip("'\"").strip()
    for pattern in _ENV_REFERENCES:
        match = pattern.fullmatch(text)
        if match:
            return match[1]
    return None


def display_url(value: str) -> str:
    """What a config's URL looks like in output: `${X}` for an env reference, else redacted."""
    name = env_reference(value)
    return f"${{{name}}}" if name else redact(value.strip().strip("'\""))


@dataclass(frozen=True)
class EnvValue:
    value: str
    line: int


_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)")


def parse_env_file(text: str, path: str) -> dict[str, EnvValue]:
    """A dotenv file's assignments; a line that is not `KEY=value` is a ConfigError.

    The values are for the adapters' eyes only (the scheme of a URL gives the dialect);
    whatever is shown to a person is `${KEY}`, never the value.
    """
    out: dict[str, EnvValue] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if not match:
            raise ConfigError(
                f"{path}:{number}: not a KEY=value line: {line[:60]!r}",
                f"fix or comment out line {number} of {path}",
            )
        value = match[2].strip()
        if value[:1] in "'\"" and value.endswith(value[:1]) and len(value) > 1:
            value = value[1:-1]
        else:
            value = re.sub(r"\s+#.*$", "", value)
        out[match[1]] = EnvValue(value, number)
    return out


#: Driver dependencies that give away the dialect, per manifest.
GO_DRIVERS = {
    "github.com/lib/pq": "postgresql",
    "github.com/jackc/pgx": "postgresql",
    "github.com/go-sql-driver/mysql": "mysql",
    "github.com/mattn/go-sqlite3": "sqlite",
    "modernc.org/sqlite": "sqlite",
}
NPM_DRIVERS = {
    "pg": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mysql2": "mysql",
    "sqlite3": "sqlite",
    "better-sqlite3": "sqlite",
}
PY_DRIVERS = {
    "psycopg": "postgresql",
    "asyncpg": "postgresql",
    "pymysql": "mysql",
    "mysqlclient": "mysql",
    "mysql-connector": "mysql",
}
GEM_DRIVERS = {"pg": "postgresql", "mysql2": "mysql", "trilogy": "mysql", "sqlite3": "sqlite"}


def find_lines(repo: RepoFacts, path: str, pattern: re.Pattern[str]) -> list[EvidenceLine]:
    """Lines of one file matching `pattern`, as evidence (1-based line numbers)."""
    if path not in repo.files:
        return []
    out = []
    for number, line in enumerate(repo.read(path).splitlines(), start=1):
        if pattern.search(line):
            out.append(EvidenceLine(path, number, line.strip()[:200]))
    return out


def driver_dialects(repo: RepoFacts, root: str = ".") -> dict[str, EvidenceLine]:
    """Dialect -> the dependency line that names its driver, from the manifests under `root`.

    One dialect means the answer; several (a repo that talks to two databases) mean the caller
    should not guess from drivers.
    """
    prefix = "" if root in ("", ".") else root.rstrip("/") + "/"
    found: dict[str, EvidenceLine] = {}

    def scan(path: str, drivers: dict[str, str], template: str) -> None:
        for name, dialect in drivers.items():
            pattern = re.compile(template.format(re.escape(name)))
            for hit in find_lines(repo, path, pattern)[:1]:
                found.setdefault(dialect, hit)

    scan(prefix + "go.mod", GO_DRIVERS, r"(^|\s){}(/v\d+)?\s")
    scan(prefix + "package.json", NPM_DRIVERS, r"\"{}\"\s*:")
    scan(prefix + "Gemfile", GEM_DRIVERS, r"^\s*gem\s+['\"]{}['\"]")
    for manifest in ("requirements.txt", "pyproject.toml", "Pipfile"):
        scan(prefix + manifest, PY_DRIVERS, r"(?i)(^|[\s\"'])({})\b")
    return found
