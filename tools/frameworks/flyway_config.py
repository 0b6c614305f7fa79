"""Flyway's configuration: `flyway.conf`, `flyway.toml`, Spring Boot properties, locations.

Kept apart from the adapter so the adapter reads as detection, history and naming; this module
answers one question: given the config files a repo has, which settings and which folders
does Flyway use. Keys come back without their `flyway.` / `spring.flyway.` prefix, the way
Flyway's own documentation names them (locations, url, sqlMigrationPrefix, placeholders.x).
"""

from __future__ import annotations

import posixpath
import re
import tomllib

from ..errors import ConfigError
from ..repo import RepoFacts
from .base import Evidence

CONFIG_NAMES = ("flyway.conf", "flyway.toml")
DEFAULT_LOCATIONS = ("filesystem:db/migration", "classpath:db/migration", "filesystem:sql")
BUILD_FILES = ("pom.xml", "build.gradle", "build.gradle.kts")
_BUILD_DIALECTS = {
    "postgresql": re.compile(r"org\.postgresql|flyway-database-postgresql|<artifactId>postgresql<"),
    "mysql": re.compile(r"mysql-connector|mariadb-java-client|flyway-mysql"),
    "sqlite": re.compile(r"sqlite-jdbc"),
}


def config_root(path: str) -> str:
    """Where locations resolve from: the config's folder, or its parent for `conf/flyway.conf`
    (the Flyway command-line layout, with `sql/` beside `conf/`)."""
    folder = posixpath.dirname(path)
    if posixpath.basename(folder) == "conf":
        folder = posixpath.dirname(folder)
    return folder or "."


def project_root(folder: str) -> str:
    """The project a migrations folder belongs to, from the conventional layouts."""
    for tail in ("src/main/resources/db/migration", "db/migration", "src/main/resources", "sql"):
        if folder == tail:
            return "."
        if folder.endswith("/" + tail):
            return folder[: -len(tail) - 1]
    return posixpath.dirname(folder) or "."


def config_files(repo: RepoFacts, evidence: Evidence) -> list[str]:
    """The config files behind one evidence, flyway.toml last so that its values win."""
    named = [
        r.path
        for r in evidence.reasons
        if posixpath.basename(r.path) in (*CONFIG_NAMES, "application.properties")
    ]
    if named:
        return sorted(dict.fromkeys(named), key=lambda p: p.endswith(".toml"))
    prefix = "" if evidence.root == "." else evidence.root + "/"
    candidates = [prefix + "flyway.conf", prefix + "conf/flyway.conf", prefix + "flyway.toml"]
    return [c for c in candidates if c in repo.files]


def read_properties(repo: RepoFacts, path: str) -> dict[str, str]:
    """flyway.conf / application.properties -> Flyway keys without their prefix."""
    out: dict[str, str] = {}
    lines = repo.read(path).splitlines()
    number = 0
    while number < len(lines):
        raw = lines[number]
        number += 1
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        while line.endswith("\\") and number < len(lines):
            line = line[:-1] + lines[number].strip()
            number += 1
        match = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)$", line) or re.match(r"(\S+)\s+(\S.*)$", line)
        if not match:
            raise ConfigError(
                f"{path}:{number}: not a key=value line: {line[:60]!r}",
                f"write line {number} as flyway.<setting>=<value> or comment it out with #",
            )
        key, value = match[1], match[2].strip()
        if key.startswith("spring.flyway."):
            key = key[len("spring.flyway.") :]
        elif key == "spring.datasource.url":
            out.setdefault("url", value)
            continue
        elif key.startswith("flyway."):
            key = key[len("flyway.") :]
        else:
            continue
        out[key] = value
    return out


def read_toml(repo: RepoFacts, path: str) -> dict[str, str]:
    """flyway.toml -> the same flat keys as flyway.conf, for the selected environment."""
    try:
        data = tomllib.loads(repo.read(path))
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        number = line[1] if line else str(max(1, len(repo.read(path).splitlines())))
        where = f"{path}:{number}"
        raise ConfigError(
            f"{where}: invalid TOML ({exc})", f"fix the TOML syntax in {path}"
        ) from exc
    flyway = data.get("flyway", {})
    environments = data.get("environments", {})
    if not isinstance(flyway, dict) or not isinstance(environments, dict):
        raise ConfigError(
            f"{path}: [flyway] and [environments.*] must be tables",
            "see Flyway's TOML configuration reference",
        )
    out: dict[str, str] = {}
    for key, value in flyway.items():
        if isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, str | int | float | bool):
            out[key] = str(value)
    env_name = str(flyway.get("environment", "default"))
    env: object = environments.get(env_name) or next(iter(environments.values()), {})
    if isinstance(env, dict) and "url" in env:
        out["url"] = str(env["url"])
    for key, value in (flyway.get("placeholders") or {}).items():
        out[f"placeholders.{key}"] = str(value)
    return out


def resolve_location(repo: RepoFacts, root: str, entry: str) -> str | None:
    """A location entry -> a folder relative to the repo root; None for cloud locations.

    Unprefixed entries are classpath ones, as in Flyway; a classpath folder is looked for
    under `src/main/resources` first and then as a plain folder (command-line projects often
    write `locations=sql`).
    """
    kind, _, rest = entry.partition(":")
    if not rest:
        kind, rest = "classpath", entry
    if kind not in ("filesystem", "classpath"):
        return None
    rest = rest.strip().rstrip("/")
    if rest.startswith("/"):
        # An absolute path (a container mount such as /flyway/sql): keep its last folder.
        rest = rest.rsplit("/", 1)[-1]
    tails = [posixpath.join("src/main/resources", rest), rest] if kind == "classpath" else [rest]
    candidates = [posixpath.normpath(posixpath.join(root, t)) for t in tails]
    return next((c for c in candidates if repo.under(c)), candidates[0])


def dialect_from_build(repo: RepoFacts, root: str) -> str | None:
    prefix = "" if root == "." else root + "/"
    found: set[str] = set()
    for name in BUILD_FILES:
        if prefix + name in repo.files:
            text = repo.read(prefix + name)
            found.update(d for d, pattern in _BUILD_DIALECTS.items() if pattern.search(text))
    return found.pop() if len(found) == 1 else None
