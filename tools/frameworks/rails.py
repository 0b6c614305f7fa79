"""Rails (Active Record): `db/migrate/<YYYYMMDDHHMMSS>_<snake_name>.rb` files.

Active Record lists every `[0-9]*_*.rb` file under the migrations path (subfolders too),
refuses names that are not `<digits>_<lower_snake>.rb` and duplicate versions or names, and
orders by version. Each file defines `class <CamelName> < ActiveRecord::Migration[7.1]`, found
by camelizing the file name, with `change` (reversible) or `up`/`down`. `config/database.yml`
names the adapter, and `db/schema.rb` records the version the schema was dumped at. The Ruby
is read with regular expressions only; nothing of the app is loaded.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime

from ..errors import HistoryError
from ..repo import RepoFacts
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .rails_yaml import YamlValue, read_yaml
from .sqlnaming import (
    GEM_DRIVERS,
    VersionScheme,
    dialect_from_url,
    display_url,
    find_lines,
    next_version,
    slugify,
)

DEFAULT_DIR = "db/migrate"
_CANDIDATE = re.compile(r"[0-9][^/]*_[^/]*\.rb$")
_MIGRATION_NAME = re.compile(r"([0-9]+)_([_a-z0-9]*)\.?([_a-z0-9]*)?\.rb")
_CLASS = re.compile(
    r"^[ \t]*class\s+(?P<name>[A-Z]\w*(?:::[A-Z]\w*)*)\s*<\s*"
    r"(?P<base>ActiveRecord::Migration)(?P<version>\[\s*\d+\.\d+\s*\])?",
    re.MULTILINE,
)
_DEF = re.compile(r"^\s*def\s+(?:self\.)?(change|up|down)\b", re.MULTILINE)
_IRREVERSIBLE = re.compile(r"raise\s+(?:::)?ActiveRecord::IrreversibleMigration")
_SCHEMA_VERSION = re.compile(r"ActiveRecord::Schema(?:\[[\d.]+\])?\.define\(\s*version:\s*([\d_]+)")
_ADAPTERS = {
    "postgresql": "postgresql",
    "postgis": "postgresql",
    "mysql2": "mysql",
    "trilogy": "mysql",
    "mysql": "mysql",
    "sqlite3": "sqlite",
}
_FILES_REASON = "Active Record migrations (<version>_<name>.rb)"


def camelize(snake: str) -> str:
    """Active Record's `camelize` for migration names: add_shipped_at -> AddShippedAt."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_") if part)


class RailsAdapter:
    name = "rails"
    title = "Rails"

    # ------------------------------------------------------------------ detect

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        roots: dict[str, list[EvidenceLine]] = {}
        counts: dict[str, int] = {}
        for path in repo.files:
            head, sep, rest = path.partition(DEFAULT_DIR + "/")
            if sep and (head == "" or head.endswith("/")) and _CANDIDATE.search(rest):
                root = head.rstrip("/") or "."
                counts[root] = counts.get(root, 0) + 1
        for root, count in counts.items():
            folder = DEFAULT_DIR if root == "." else f"{root}/{DEFAULT_DIR}"
            roots[root] = [EvidenceLine(folder, None, f"{count} {_FILES_REASON}")]
        for gemfile in repo.named("Gemfile"):
            hits = find_lines(
                repo, gemfile, re.compile(r"^\s*gem\s+['\"](rails|activerecord)['\"]")
            )
            if hits:
                roots.setdefault(posixpath.dirname(gemfile) or ".", []).extend(hits[:1])
        for yml in repo.glob("**/config/database.yml"):
            root = posixpath.dirname(posixpath.dirname(yml)) or "."
            hits = find_lines(repo, yml, re.compile(r"^\s*adapter\s*:"))
            if root in roots and hits:
                roots[root].extend(hits[:1])
        out = []
        for root, lines in sorted(roots.items()):
            has_files = root in counts
            if has_files:
                confidence = 0.97 if len(lines) > 1 else 0.8
            elif any(r.path.endswith("database.yml") for r in lines):
                confidence = 0.5
            else:
                continue  # a Gemfile naming rails alone says nothing about migrations
            out.append(Evidence(self.name, confidence, tuple(lines), root=root))
        return out

    # ------------------------------------------------------------------ config

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        prefix = "" if root == "." else root + "/"
        yml = prefix + "config/database.yml"
        settings: dict[str, str] = {}
        adapter: str | None = None
        url: str | None = None
        migrations_dir = prefix + DEFAULT_DIR
        config_files: list[str] = []
        if yml in repo.files:
            config_files.append(yml)
            data = read_yaml(repo.read(yml), yml)
            env_name, db_name, section = _pick_database(data)
            if env_name:
                settings["environment"] = env_name
            if db_name:
                settings["database"] = db_name
            adapter = _scalar(section.get("adapter"))
            url = _scalar(section.get("url")) or _any_url(data)
            paths = section.get("migrations_paths")
            first = paths[0] if isinstance(paths, list) and paths else _scalar(paths)
            if first:
                migrations_dir = posixpath.normpath(prefix + first.removeprefix("./"))
        dialect = _adapter_dialect(adapter) if adapter else None
        if dialect is None and url:
            dialect = dialect_from_url(url)
        if dialect is None:
            dialect = _gem_dialect(repo, prefix + "Gemfile")
        if adapter:
            settings["adapter"] = adapter
        for name in ("db/schema.rb", "db/structure.sql", "Gemfile"):
            if prefix + name in repo.files:
                config_files.append(prefix + name)
        settings["schema_format"] = "sql" if prefix + "db/structure.sql" in repo.files else "ruby"
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=migrations_dir,
            dialect=dialect,
            database_url=display_url(url) if url else None,
            config_files=tuple(config_files),
            settings=settings,
        )

    # ------------------------------------------------------------------ history

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        files, warnings = _scan(repo, config.migrations_dir)
        refs: list[MigrationRef] = []
        by_version: dict[int, str] = {}
        by_name: dict[str, str] = {}
        for path, version, name in files:
            if int(version) in by_version:
                raise HistoryError(
                    f"{path}: version {version} is also used by {by_version[int(version)]}",
                    "give one of the two files a new timestamp; Rails refuses duplicate versions",
                )
            if name in by_name:
                raise HistoryError(
                    f"{path}: migration name {name} is also used by {by_name[name]}",
                    "rename one of the two migrations; Rails refuses duplicate names",
                )
            by_version[int(version)] = path
            by_name[name] = path
        for path, version, name in sorted(files, key=lambda f: int(f[1])):
            has_down, found = _read_migration(repo, path, name)
            warnings += found
            refs.append(
                MigrationRef(
                    id=version,
                    path=path,
                    name=name,
                    parents=(refs[-1].id,) if refs else (),
                    has_down=has_down,
                )
            )
        warnings += _schema_warnings(repo, config, refs)
        return History(tuple(refs), (refs[-1].id,) if refs else (), tuple(warnings))

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        """`<timestamp>_<snake>.rb`; a repo with `timestamped_migrations = false` keeps its
        zero-padded counter, and a timestamp never goes below the newest version."""
        versions = [ref.id for ref in sorted(history.migrations, key=lambda r: int(r.id))]
        version = next_version(versions, now, VersionScheme("timestamp", 14, "%Y%m%d%H%M%S"))
        return posixpath.join(config.migrations_dir, f"{version}_{slugify(description)}.rb")


# ---------------------------------------------------------------------- migrations


def _scan(repo: RepoFacts, folder: str) -> tuple[list[tuple[str, str, str]], list[HistoryWarning]]:
    files = repo.under(folder)
    if not files:
        raise HistoryError(
            f"{folder}: migrations directory not found",
            "create db/migrate or set migrations_paths in config/database.yml",
        )
    out: list[tuple[str, str, str]] = []
    warnings: list[HistoryWarning] = []
    for path in files:
        base = posixpath.basename(path)
        if not base.endswith(".rb"):
            continue
        if not _CANDIDATE.fullmatch(base):
            warnings.append(HistoryWarning("not a migration file name, Rails ignores it", path))
            continue
        match = _MIGRATION_NAME.fullmatch(base)
        if match is None:
            raise HistoryError(
                f"{path}: illegal migration file name (only lower case letters, numbers and _)",
                f"rename it <timestamp>_{slugify(base[:-3].lstrip('0123456789_'))}.rb",
            )
        out.append((path, match[1], match[2]))
    return out, warnings


def _read_migration(repo: RepoFacts, path: str, name: str) -> tuple[bool, list[HistoryWarning]]:
    """Whether the migration can be reversed, and what is odd about its class."""
    text = repo.read(path)
    match = _CLASS.search(text)
    if match is None:
        raise HistoryError(
            f"{path}:1: no `class {camelize(name)} < ActiveRecord::Migration[x.y]` found",
            "define the migration class the file name announces",
        )
    line = text.count("\n", 0, match.start()) + 1
    warnings: list[HistoryWarning] = []
    class_name = match["name"].rsplit("::", 1)[-1]
    if class_name != camelize(name):
        warnings.append(
            HistoryWarning(
                f"class {class_name} does not match the file name (Rails looks for "
                f"{camelize(name)})",
                path,
                line,
            )
        )
    if match["version"] is None:
        warnings.append(
            HistoryWarning(
                "inherits ActiveRecord::Migration without a version such as [7.1]; "
                "Rails 5 and later refuse to run it",
                path,
                line,
            )
        )
    methods = set(_DEF.findall(text))
    if "change" in methods:
        return True, warnings
    down = re.search(r"^(?P<indent>[ \t]*)def\s+(?:self\.)?down\b", text, re.MULTILINE)
    if down is not None:
        body = text[down.end() :].split(f"\n{down['indent']}end", 1)[0]
        return not _IRREVERSIBLE.search(body), warnings
    if "up" not in methods:
        warnings.append(HistoryWarning("defines neither change nor up", path, line))
    return False, warnings


def _schema_warnings(
    repo: RepoFacts, config: FrameworkConfig, refs: list[MigrationRef]
) -> list[HistoryWarning]:
    """db/schema.rb (or structure.sql) must be dumped at the newest migration's version."""
    if not refs:
        return []
    prefix = "" if config.root == "." else config.root + "/"
    last = int(refs[-1].id)
    schema = prefix + "db/schema.rb"
    structure = prefix + "db/structure.sql"
    if schema in repo.files:
        match = _SCHEMA_VERSION.search(repo.read(schema))
        if match is None:
            return [HistoryWarning("no ActiveRecord::Schema.define(version: ...) found", schema)]
        dumped = int(match[1].replace("_", ""))
        where = schema
    elif structure in repo.files:
        versions = re.findall(r"\('(\d+)'\)", repo.read(structure))
        if not versions:
            return []
        dumped = max(int(v) for v in versions)
        where = structure
    else:
        return []
    if dumped < last:
        return [
            HistoryWarning(
                f"{posixpath.basename(where)} is behind: dumped at version {dumped}, the last "
                f"migration is {refs[-1].id} (run bin/rails db:migrate to refresh it)",
                where,
            )
        ]
    if dumped > last:
        return [
            HistoryWarning(
                f"{posixpath.basename(where)} is ahead: version {dumped} has no migration file",
                where,
            )
        ]
    return []


# ---------------------------------------------------------------------- database.yml


def _pick_database(
    data: dict[str, YamlValue],
) -> tuple[str | None, str | None, dict[str, YamlValue]]:
    """The development environment's primary database (or the first that names an adapter)."""
    envs = [k for k in ("development", "test", "production") if isinstance(data.get(k), dict)]
    envs += [k for k, v in data.items() if isinstance(v, dict) and k not in envs]
    for env in envs:
        section = data[env]
        assert isinstance(section, dict)
        if any(k in section for k in ("adapter", "url", "database")):
            return env, None, section
        children = [(k, v) for k, v in section.items() if isinstance(v, dict)]
        children.sort(key=lambda kv: kv[0] != "primary")
        for name, child in children:
            if any(k in child for k in ("adapter", "url", "database")):
                return env, name, child
    return None, None, {}


def _any_url(data: dict[str, YamlValue]) -> str | None:
    """The first `url:` of any environment (production's `<%= ENV['DATABASE_URL'] %>`): Rails
    reads DATABASE_URL in every environment, so it is the URL worth showing."""
    for section in data.values():
        if isinstance(section, dict):
            if url := _scalar(section.get("url")):
                return url
            for child in section.values():
                if isinstance(child, dict) and (url := _scalar(child.get("url"))):
                    return url
    return None


def _scalar(value: YamlValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _adapter_dialect(adapter: str) -> str | None:
    if adapter in _ADAPTERS:
        return _ADAPTERS[adapter]
    # An ERB adapter such as <%= ENV.fetch("DB_ADAPTER", "postgresql") %>: use its default.
    found = {d for a, d in _ADAPTERS.items() if re.search(rf"['\"]{a}['\"]", adapter)}
    return found.pop() if len(found) == 1 else None


def _gem_dialect(repo: RepoFacts, gemfile: str) -> str | None:
    if gemfile not in repo.files:
        return None
    text = repo.read(gemfile)
    found = {
        d for g, d in GEM_DRIVERS.items() if re.search(rf"^\s*gem\s+['\"]{g}['\"]", text, re.M)
    }
    return found.pop() if len(found) == 1 else None


ADAPTER = RailsAdapter()
