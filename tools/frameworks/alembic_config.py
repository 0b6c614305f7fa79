"""Alembic's configuration: alembic.ini, pyproject.toml [tool.alembic] and env.py hints.

Alembic reads options from the ini file first and pyproject.toml second (config.py,
`get_alembic_option`), substituting `%(here)s` with the config file's folder. We do the same
with `here` set to the folder relative to the repo, so every path we report is a repo path.
env.py is code, not configuration, but it decides which database the runner connects to
(often an environment variable overriding sqlalchemy.url) and which models autogenerate diffs
against; both are read with `ast` and recorded as settings.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
import tomllib
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..repo import RepoFacts, redact
from .pysource import EnvValue, dotted, evaluate, imported_names, parse_python

DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s"
DEFAULT_TRUNCATE_SLUG_LENGTH = 40
_INI_KEYS = (
    "script_location",
    "file_template",
    "truncate_slug_length",
    "version_locations",
    "path_separator",
    "version_path_separator",
    "recursive_version_locations",
    "timezone",
    "sqlalchemy.url",
)
_SEPARATORS = {"space": " ", "newline": "\n", "os": ":", ":": ":", ";": ";"}
_INIT_HINT = "run `alembic init migrations` or set script_location = %(here)s/migrations"


@dataclass
class RawOptions:
    """Option name -> (value, file, line) as Alembic would resolve it, ini before toml."""

    values: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    ini_section: str = "alembic"
    #: Values in which `%(here)s` was substituted (already repo-relative paths).
    here_used: set[str] = field(default_factory=set)
    #: Lists from pyproject.toml (version_locations) kept as lists.
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        entry = self.values.get(key)
        return entry[0] if entry else None

    def where(self, key: str) -> str:
        entry = self.values.get(key)
        return f"{entry[1]}:{entry[2]}" if entry else ""


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """(section, key) -> line number, for error messages that point at the option."""
    out: dict[tuple[str, str], int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            out.setdefault((section, ""), number)
            continue
        match = re.match(r"\s*([^#;=:\s][^=:]*?)\s*[=:]", line)
        if match and not line[:1].isspace():
            out.setdefault((section, match.group(1).strip().lower()), number)
    return out


def read_ini(repo: RepoFacts, rel: str, here: str, options: RawOptions) -> bool:
    """Merge the [alembic] options of an ini file into `options`; False if it has none."""
    text = repo.read(rel)
    parser = configparser.ConfigParser(defaults={"here": here})
    try:
        parser.read_string(text, source=rel)
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(
            f"{rel}:{exc.lineno}: option before any [section]", "start the file with [alembic]"
        ) from exc
    except (configparser.DuplicateOptionError, configparser.DuplicateSectionError) as exc:
        raise ConfigError(
            f"{rel}:{exc.lineno}: {exc.message.splitlines()[0]}",
            "keep each section and option once",
        ) from exc
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else 1
        raise ConfigError(
            f"{rel}:{line}: not an ini line: {exc.errors[0][1] if exc.errors else ''}",
            "write options as `key = value` under a [section]",
        ) from exc
    lines = _key_lines(text)
    section = "alembic"
    if not parser.has_section(section):
        others = [s for s in parser.sections() if parser.has_option(s, "script_location")]
        if not others:
            return False
        section = others[0]  # a multi-config ini used with `alembic -n NAME`
    options.ini_section = section
    options.files.append(rel)
    for key in _INI_KEYS:
        if not parser.has_option(section, key):
            continue
        line = lines.get((section, key), lines.get((section, ""), 1))
        raw = parser.get(section, key, raw=True)
        try:
            value = parser.get(section, key)
        except configparser.Error as exc:
            raise ConfigError(
                f"{rel}:{line}: {key} cannot be interpolated: {exc.message.splitlines()[0]}",
                "write a literal % as %% in alembic.ini",
            ) from exc
        if "%(here)s" in raw:
            options.here_used.add(key)
        options.values.setdefault(key, (value, rel, line))
    return True


def read_pyproject(repo: RepoFacts, rel: str, here: str, options: RawOptions) -> bool:
    """Merge [tool.alembic] of a pyproject.toml (ini values win); False when absent."""
    text = repo.read(rel)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"{rel}:{match.group(1) if match else 1}: invalid TOML: {str(exc).split(' (')[0]}",
            "fix the TOML syntax (a TOML linter shows the spot)",
        ) from exc
    section = data.get("tool", {}).get("alembic")
    if section is None:
        return False
    lines = _toml_key_lines(text)
    if not isinstance(section, dict):
        raise ConfigError(
            f"{rel}:{lines.get('', 1)}: [tool.alembic] must be a table",
            "write [tool.alembic] with key = value lines",
        )
    options.files.append(rel)
    for key, value in section.items():
        line = lines.get(key, lines.get("", 1))
        try:
            if isinstance(value, str):
                text_value = value % {"here": here}
            elif isinstance(value, list):
                items = [str(v) % {"here": here} for v in value]
                options.lists[key] = items
                text_value = ", ".join(items)
            elif isinstance(value, bool):
                text_value = "true" if value else "false"
            else:
                text_value = str(value)
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"{rel}:{line}: {key} has a bad %-substitution ({exc})",
                "only %(here)s is substituted; write a literal % as %%",
            ) from exc
        if "%(here)s" in str(value):
            options.here_used.add(key)
        options.values.setdefault(key, (text_value, rel, line))
    return True


def _toml_key_lines(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.strip("[] ") == "tool.alembic"
            if inside:
                out[""] = number
            continue
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*=", line)
        if inside and match:
            out.setdefault(match.group(1), number)
    return out


def repo_path(repo: RepoFacts, value: str, root: str, here_used: bool) -> str:
    """A config path as a repo-relative POSIX path.

    `%(here)s` already made it repo-relative; a bare relative path is relative to the folder
    Alembic is run from, which by convention is the config's folder; `package:path` is a
    resource inside a package of the repo (Alembic's coerce_resource_to_filename).
    """
    value = value.strip().replace("\\", "/")
    if not here_used and re.fullmatch(r"[A-Za-z_][\w.]*:[\w./\-]*", value):
        package, sub = value.split(":", 1)
        marker = package.replace(".", "/") + "/__init__.py"
        hits = sorted(
            (f for f in repo.files if f == marker or f.endswith("/" + marker)),
            key=lambda f: (not f.startswith(root.rstrip("/") + "/") and root != ".", len(f)),
        )
        base = posixpath.dirname(hits[0]) if hits else posixpath.join(root, *package.split("."))
        return posixpath.normpath(posixpath.join(base, sub))
    if here_used or value.startswith("/"):
        return posixpath.normpath(value)
    return posixpath.normpath(posixpath.join(root, value))


def split_locations(options: RawOptions) -> list[str] | None:
    """version_locations as a list, split the way Alembic splits it."""
    if "version_locations" in options.lists:
        return options.lists["version_locations"]
    raw = options.get("version_locations")
    if not raw:
        return None
    sep_name = options.get("path_separator") or options.get("version_path_separator")
    if sep_name is None:
        return [p for p in re.split(r", *|(?: +)", raw.strip()) if p]
    sep = _SEPARATORS.get(sep_name.strip())
    if sep is None:
        key = "path_separator" if options.get("path_separator") else "version_path_separator"
        raise ConfigError(
            f"{options.where(key)}: {key} = {sep_name} is not one of space, newline, os, :, ;",
            "use path_separator = os",
        )
    return [p.strip() for p in raw.split(sep) if p.strip()]


def env_hints(repo: RepoFacts, env_py: str) -> dict[str, str]:
    """What env.py does that matters to a runner: URL from the environment, metadata, batch."""
    tree = parse_python(
        repo, env_py, ConfigError, f"fix the syntax of {env_py}; Alembic runs it on every command"
    )
    hints: dict[str, str] = {}
    env_reads: list[EnvValue] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call | ast.Subscript):
            value = evaluate(node)
            if isinstance(value, EnvValue) and value not in env_reads:
                env_reads.append(value)
        if (
            isinstance(node, ast.keyword)
            and node.arg == "render_as_batch"
            and isinstance(node.value, ast.Constant)
            and node.value.value is True
        ):
            hints["render_as_batch"] = "true"
    if env_reads:
        preferred = [e for e in env_reads if re.search(r"URL|DSN|DATABASE|DB", e.name)]
        chosen = (preferred or env_reads)[0]
        hints["url_env"] = chosen.name
        if isinstance(chosen.default, str):
            hints["url_env_default"] = redact(chosen.default)
    imports = imported_names(tree)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "target_metadata" for t in stmt.targets
        ):
            hints["target_metadata"] = ast.unparse(stmt.value)
            module = _models_module(stmt.value, imports)
            if module:
                hints["models_module"] = module
    return hints


def _models_module(value: ast.expr, imports: dict[str, str]) -> str | None:
    """The module a `target_metadata = X.metadata` expression comes from, e.g. `app.models`.

    The dotted path is followed through the imports and cut before the first capitalised part
    (a class such as `Base`) or `metadata`.
    """
    node = value.elts[0] if isinstance(value, ast.List | ast.Tuple) and value.elts else value
    chain = dotted(node)
    if not chain:
        return None
    head, _, rest = chain.partition(".")
    origin = imports.get(head)
    if origin is None:
        return None
    parts = [*origin.split("."), *(rest.split(".") if rest else [])]
    module: list[str] = []
    for part in parts:
        if part[:1].isupper() or part == "metadata":
            break
        module.append(part)
    return ".".join(module) or None
