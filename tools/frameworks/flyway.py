"""Flyway: `V<version>__<description>.sql` files under configured locations.

Flyway orders versioned migrations by their version read as numbers part by part (1.10 comes
after 1.9, and 1.0 is the same version as 1), applies repeatable `R__` migrations after all
versioned ones ordered by description, and pairs `U<version>__` undo files with the versioned
file of the same version. Configuration comes from `flyway.conf` (Java properties),
`flyway.toml` (Flyway 10+) or Spring Boot's `application.properties`; locations are
`filesystem:` paths or `classpath:` paths that live under `src/main/resources`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import datetime

from ..errors import ConfigError, HistoryError
from ..repo import RepoFacts, redact
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .flyway_config import (
    BUILD_FILES,
    CONFIG_NAMES,
    DEFAULT_LOCATIONS,
    config_files,
    config_root,
    dialect_from_build,
    project_root,
    read_properties,
    read_toml,
    resolve_location,
)
from .sqlnaming import (
    SNAKE,
    VersionScheme,
    dialect_from_url,
    display_url,
    find_lines,
    infer_style,
    next_version,
    short_list,
    slugify,
)

_VERSIONED_FILE = re.compile(r"(?:^|/)V\d+(?:[._]\d+)*__[^/]+\.sql$")
_VERSION = re.compile(r"\d+(?:[._]\d+)*")
_FILES_REASON = "Flyway versioned migration files (V*__*.sql)"


@dataclass(frozen=True)
class FlywayFile:
    """One file name read the way Flyway reads it."""

    path: str
    prefix: str  # "V", "U" or "R"
    version: str  # as written ("1_10"), "" for repeatables
    description: str  # as written, underscores kept

    @property
    def key(self) -> tuple[int, ...]:
        """Flyway's version identity: numeric parts with trailing zeros dropped (1.0 == 1)."""
        parts = [int(p) for p in re.split(r"[._]", self.version)]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return tuple(parts)

    @property
    def display_version(self) -> str:
        """The version as Flyway prints it: parts joined by dots, leading zeros dropped."""
        return ".".join(str(int(p)) for p in re.split(r"[._]", self.version))


class FlywayAdapter:
    name = "flyway"
    title = "Flyway"

    # ------------------------------------------------------------------ detect

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        reasons: dict[str, list[EvidenceLine]] = {}
        kinds: dict[str, set[str]] = {}

        def add(root: str, kind: str, lines: list[EvidenceLine]) -> None:
            reasons.setdefault(root, []).extend(lines)
            kinds.setdefault(root, set()).add(kind)

        for path in repo.named(*CONFIG_NAMES):
            lines = find_lines(repo, path, re.compile(r"^\s*(flyway\.)?(url|locations)\b"))
            add(config_root(path), "config", lines[:2] or [EvidenceLine(path, 1, "Flyway config")])
        for path in repo.named("application.properties"):
            hits = find_lines(repo, path, re.compile(r"^\s*spring\.flyway\."))
            if hits:
                add(project_root(posixpath.dirname(path)), "config", hits[:2])
        for path in repo.named(*BUILD_FILES):
            hits = find_lines(repo, path, re.compile(r"flywaydb|org\.flyway"))
            if hits:
                add(posixpath.dirname(path) or ".", "build", hits[:1])
        folders: dict[str, int] = {}
        for path in repo.files:
            if _VERSIONED_FILE.search(path):
                folder = posixpath.dirname(path) or "."
                folders[folder] = folders.get(folder, 0) + 1
        for folder, count in sorted(folders.items()):
            root = _owning_root(folder, list(reasons)) or project_root(folder)
            add(root, "files", [EvidenceLine(folder, None, f"{count} {_FILES_REASON}")])
        out = []
        for root, lines in reasons.items():
            found = kinds[root]
            if "files" in found:
                confidence = 0.97 if "config" in found else 0.9 if "build" in found else 0.7
            else:
                confidence = 0.85 if "config" in found else 0.5
            out.append(Evidence(self.name, confidence, tuple(lines), root=root))
        return sorted(out, key=lambda e: e.root)

    # ------------------------------------------------------------------ config

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        files = config_files(repo, evidence)
        props: dict[str, str] = {}
        for path in files:
            if path.endswith(".toml"):
                props.update(read_toml(repo, path))
            else:
                props.update(read_properties(repo, path))
        raw_locations = props.get("locations")
        entries = [e.strip() for e in (raw_locations or "").split(",") if e.strip()]
        locations = [loc for e in entries if (loc := resolve_location(repo, root, e))]
        if raw_locations is not None and not locations:
            source = files[-1] if files else "flyway config"
            raise ConfigError(
                f"{source}: flyway.locations names no local folder ({raw_locations.strip()!r})",
                "list a filesystem: or classpath: location, e.g. flyway.locations=filesystem:sql",
            )
        if not entries:
            evidence_dirs = [r.path for r in evidence.reasons if r.text.endswith(_FILES_REASON)]
            defaults = [d for e in DEFAULT_LOCATIONS if (d := resolve_location(repo, root, e))]
            locations = evidence_dirs or [d for d in defaults if repo.under(d)] or defaults[:1]
        migrations_dir = next(
            (d for d in locations if repo.under(d)), locations[0] if locations else ""
        )
        url = props.get("url", "")
        dialect = dialect_from_url(url) if url else None
        if dialect is None:
            dialect = dialect_from_build(repo, root)
        settings = {"locations": ",".join(locations)}
        for key in (
            "sqlMigrationPrefix",
            "undoSqlMigrationPrefix",
            "repeatableSqlMigrationPrefix",
            "sqlMigrationSeparator",
            "sqlMigrationSuffixes",
            "table",
            "defaultSchema",
            "placeholderReplacement",
        ):
            if key in props:
                settings[key] = props[key]
        for key, value in props.items():
            if key.startswith("placeholders."):
                settings[key] = redact(value)
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=migrations_dir,
            dialect=dialect,
            database_url=display_url(url) if url else None,
            config_files=tuple(files),
            settings=settings,
        )

    # ------------------------------------------------------------------ history

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        versioned, undos, repeatables, warnings = _scan(repo, config)
        by_key: dict[tuple[int, ...], FlywayFile] = {}
        for f in versioned:
            if f.key in by_key:
                raise HistoryError(
                    f"{f.path}: version {f.display_version} is also used by {by_key[f.key].path}",
                    "give one of the two files the next free version; Flyway refuses duplicates",
                )
            by_key[f.key] = f
        undo_by_key: dict[tuple[int, ...], FlywayFile] = {}
        for u in undos:
            if u.key in undo_by_key:
                raise HistoryError(
                    f"{u.path}: undo version {u.display_version} is also used by "
                    f"{undo_by_key[u.key].path}",
                    "keep one undo file per version; Flyway refuses duplicates",
                )
            undo_by_key[u.key] = u
            if u.key not in by_key:
                warnings.append(
                    HistoryWarning(
                        f"undo file for version {u.display_version} has no versioned migration",
                        path=u.path,
                    )
                )
        seen_desc: dict[str, str] = {}
        for r in repeatables:
            if r.description in seen_desc:
                raise HistoryError(
                    f"{r.path}: repeatable description {r.description!r} is also used by "
                    f"{seen_desc[r.description]}",
                    "rename one of the repeatable migrations; Flyway refuses duplicates",
                )
            seen_desc[r.description] = r.path
        ordered = sorted(by_key.values(), key=lambda f: f.key)
        ordered_r = sorted(repeatables, key=lambda f: f.description)
        without_undo = [f.display_version for f in ordered if f.key not in undo_by_key]
        if ordered and without_undo:
            warnings.append(
                HistoryWarning(
                    f"missing undo: {len(without_undo)} versioned migrations have no U file "
                    f"({short_list(without_undo)})"
                )
            )
        refs: list[MigrationRef] = []
        previous: tuple[str, ...] = ()
        for f in ordered:
            ref = MigrationRef(
                id=f.display_version,
                path=f.path,
                name=f.description.replace("_", " "),
                parents=previous,
                has_down=f.key in undo_by_key,
            )
            refs.append(ref)
            previous = (ref.id,)
        for f in ordered_r:
            ref = MigrationRef(
                id=posixpath.basename(f.path)[: -len(".sql")],
                path=f.path,
                name=f.description.replace("_", " "),
                parents=previous,
                has_down=False,
                kind="repeatable",
            )
            refs.append(ref)
            previous = (ref.id,)
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
        versioned, _, _, _ = _scan(repo, config)
        versioned.sort(key=lambda f: f.key)
        prefix = config.settings.get("sqlMigrationPrefix", "V")
        separator = config.settings.get("sqlMigrationSeparator", "__")
        suffix = config.settings.get("sqlMigrationSuffixes", ".sql").split(",")[0].strip()
        style = infer_style([f.description for f in versioned], SNAKE)
        if not versioned:
            folder = config.migrations_dir
            version = "1"
        else:
            last = versioned[-1]
            folder = posixpath.dirname(last.path)
            version = _bump(last.version, now)
        name = f"{prefix}{version}{separator}{slugify(description, style)}{suffix}"
        return posixpath.join(folder, name) if folder not in ("", ".") else name

    def migration_sql(
        self, repo: RepoFacts, config: FrameworkConfig, ref: MigrationRef
    ) -> tuple[str, str | None]:
        """The up SQL (placeholders from the config substituted) and the U file's SQL."""
        _, undos, _, _ = _scan(repo, config)
        up = _substitute(repo.read(ref.path), config, ref.path)
        if ref.kind != "versioned":
            return up, None
        key = FlywayFile(ref.path, "V", ref.id, "").key
        undo = next((u for u in undos if u.key == key), None)
        return up, _substitute(repo.read(undo.path), config, undo.path) if undo else None


# ---------------------------------------------------------------------- helpers


def _owning_root(folder: str, roots: list[str]) -> str | None:
    """The nearest known root above a folder, so files join their config's evidence."""
    above = [r for r in roots if r == "." or folder == r or folder.startswith(r + "/")]
    return max(above, key=lambda r: -1 if r == "." else len(r), default=None)


def _scan(
    repo: RepoFacts, config: FrameworkConfig
) -> tuple[list[FlywayFile], list[FlywayFile], list[FlywayFile], list[HistoryWarning]]:
    """Read the file names in every location (recursively, as Flyway does)."""
    locations = [loc for loc in config.settings.get("locations", "").split(",") if loc]
    locations = locations or [config.migrations_dir]
    present = [loc for loc in locations if repo.under(loc)]
    if not present:
        raise HistoryError(
            f"{', '.join(locations)}: migrations directory not found",
            "create it or point flyway.locations at the folder that holds the V*__*.sql files",
        )
    v_prefix = config.settings.get("sqlMigrationPrefix", "V")
    u_prefix = config.settings.get("undoSqlMigrationPrefix", "U")
    r_prefix = config.settings.get("repeatableSqlMigrationPrefix", "R")
    separator = config.settings.get("sqlMigrationSeparator", "__")
    suffixes = [s.strip() for s in config.settings.get("sqlMigrationSuffixes", ".sql").split(",")]
    versioned: list[FlywayFile] = []
    undos: list[FlywayFile] = []
    repeatables: list[FlywayFile] = []
    warnings: list[HistoryWarning] = []
    for path in sorted({p for loc in present for p in repo.under(loc)}):
        name = posixpath.basename(path)
        suffix = next((s for s in suffixes if name.endswith(s)), None)
        if suffix is None:
            if name.endswith(".java") and name[:1] in (v_prefix, r_prefix):
                warnings.append(HistoryWarning("Java migration: cannot be replayed as SQL", path))
            continue
        stem = name[: -len(suffix)]
        head, sep, description = stem.partition(separator)
        prefix = next((p for p in (r_prefix, u_prefix, v_prefix) if head.startswith(p)), None)
        if not sep or prefix is None:
            warnings.append(
                HistoryWarning(
                    f"irregular name, Flyway ignores it (expected {v_prefix}<version>"
                    f"{separator}<description>{suffix})",
                    path,
                )
            )
            continue
        version = head[len(prefix) :]
        if prefix == r_prefix:
            if version:
                raise HistoryError(
                    f"{path}: a repeatable migration cannot carry a version ({version!r})",
                    f"rename it {r_prefix}{separator}{description}{suffix}",
                )
            repeatables.append(FlywayFile(path, "R", "", description))
            continue
        if not _VERSION.fullmatch(version):
            raise HistoryError(
                f"{path}: invalid version {version!r} (Flyway needs digits separated by . or _)",
                f"rename it like {prefix}1.2{separator}{description or 'description'}{suffix}",
            )
        (undos if prefix == u_prefix else versioned).append(
            FlywayFile(path, "U" if prefix == u_prefix else "V", version, description)
        )
    return versioned, undos, repeatables, warnings


def _bump(version: str, now: datetime) -> str:
    """The next version in the scheme of `version`: a counter, a timestamp or a dotted version."""
    parts = re.split(r"([._])", version)
    if len(parts) == 1:
        return next_version([version], now, VersionScheme("sequential"))
    last = parts[-1]
    parts[-1] = str(int(last) + 1).zfill(len(last))
    return "".join(parts)


def _substitute(sql: str, config: FrameworkConfig, path: str) -> str:
    """Replace the placeholders the config defines, plus the built-in filename one."""
    if config.settings.get("placeholderReplacement", "true").lower() == "false":
        return sql
    values = {
        k[len("placeholders.") :]: v
        for k, v in config.settings.items()
        if k.startswith("placeholders.")
    }
    values["flyway:filename"] = posixpath.basename(path)
    if config.settings.get("defaultSchema"):
        values["flyway:defaultSchema"] = config.settings["defaultSchema"]
    return re.sub(r"\$\{([\w:.]+)\}", lambda m: values.get(m[1], m[0]), sql)


ADAPTER = FlywayAdapter()
