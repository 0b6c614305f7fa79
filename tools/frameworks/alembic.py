"""The Alembic adapter: detection, configuration, revision history and the next file name.

Configuration reading lives in alembic_config.py and the revision graph in alembic_graph.py;
this module ties them to the Framework protocol. Nothing here imports the user's env.py or
revision files: Alembic would, analysis reads them with `ast`.
"""

from __future__ import annotations

import posixpath
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError, HistoryError
from ..repo import RepoFacts, redact
from . import parse_cache
from .alembic_config import (
    DEFAULT_FILE_TEMPLATE,
    DEFAULT_TRUNCATE_SLUG_LENGTH,
    RawOptions,
    env_hints,
    read_ini,
    read_pyproject,
    repo_path,
    split_locations,
)
from .alembic_graph import Revision, build_graph, read_revision, revision_files
from .base import (
    Evidence,
    EvidenceLine,
    FrameworkConfig,
    History,
    HistoryWarning,
    MigrationRef,
)
from .pysource import driver_dialect, owning_roots, repo_join, scheme_dialect

_SLUG_WORD = re.compile(r"\w+")
_DEPENDENCY = re.compile(r"""(?i)(?:^|["'\s])alembic\s*(?:[<>=!~\[;,"']|$)""")
_MANIFEST = re.compile(
    r"(?:.*/)?(requirements[^/]*\.(?:txt|in)|pyproject\.toml|setup\.cfg|setup\.py|Pipfile)$"
)


def new_rev_id() -> str:
    """A fresh revision id the way Alembic makes one (12 hex digits of a uuid4)."""
    return uuid.uuid4().hex[-12:]


def alembic_slug(message: str, truncate: int = DEFAULT_TRUNCATE_SLUG_LENGTH) -> str:
    """The `%(slug)s` of a file name: lowercase words joined by `_`, cut at a word boundary.

    Same rule as Alembic's ScriptDirectory._rev_path, including the trailing `_` it leaves
    after truncating, so our file names are the ones `alembic revision -m` would write.
    """
    slug = "_".join(_SLUG_WORD.findall(message or "")).lower()
    if len(slug) > truncate:
        slug = slug[:truncate].rsplit("_", 1)[0] + "_"
    return slug


def _dirname(rel: str) -> str:
    return posixpath.dirname(rel) or "."


class AlembicAdapter:
    """Alembic (SQLAlchemy's migration tool), configured by alembic.ini or pyproject.toml."""

    name = "alembic"
    title = "Alembic"

    # ---------------------------------------------------------------- detection
    def detect(self, repo: RepoFacts) -> list[Evidence]:
        reasons: dict[str, list[EvidenceLine]] = {}
        for ini in repo.named("alembic.ini"):
            line, text = _first_line(repo.read(ini), r"^\s*\[alembic\]|^\s*script_location\b")
            reasons.setdefault(_dirname(ini), []).append(
                EvidenceLine(ini, line, text or "alembic.ini")
            )
        for pyproject in repo.named("pyproject.toml"):
            line, text = _first_line(repo.read(pyproject), r"^\s*\[tool\.alembic\]")
            if line is not None:
                reasons.setdefault(_dirname(pyproject), []).append(
                    EvidenceLine(pyproject, line, text)
                )
        confidence: dict[str, float] = {root: 0.8 for root in reasons}
        for mako in repo.named("script.py.mako"):
            script_dir = _dirname(mako)
            env_py = repo_join(script_dir, "env.py")
            if env_py not in repo.files:
                continue
            owner = next(iter(owning_roots(script_dir, reasons)), None)
            if owner is None:  # a script directory configured in code (or not at all)
                owner = _dirname(script_dir)
                reasons[owner] = []
                confidence[owner] = 0.6
            reasons[owner].append(EvidenceLine(env_py, None, "Alembic script directory"))
            has_revisions = any(
                f.endswith(".py") for f in repo.under(repo_join(script_dir, "versions"))
            )
            if has_revisions:
                confidence[owner] = min(0.95, confidence[owner] + 0.15)
        for manifest in (f for f in repo.files if _MANIFEST.fullmatch(f)):
            for number, text in enumerate(repo.read(manifest).splitlines(), start=1):
                if _DEPENDENCY.search(text) and not text.lstrip().startswith("#"):
                    folder = _dirname(manifest)
                    owners = owning_roots(folder, reasons, descend=True)
                    if not owners:  # a dependency and nothing else: weak evidence
                        owners = [folder]
                        reasons[folder] = []
                        confidence[folder] = 0.3
                    for owner in owners:
                        reasons[owner].append(EvidenceLine(manifest, number, text.strip()))
                    break
        return [
            Evidence(self.name, round(confidence[root], 2), tuple(lines), root)
            for root, lines in sorted(reasons.items())
        ]

    # ------------------------------------------------------------ configuration
    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        options = RawOptions()
        ini = repo_join(root, "alembic.ini")
        pyproject = repo_join(root, "pyproject.toml")
        has_ini = ini in repo.files and read_ini(repo, ini, root, options)
        if pyproject in repo.files:
            read_pyproject(repo, pyproject, root, options)
        script_location = self._script_location(repo, evidence, options, ini if has_ini else None)
        settings: dict[str, str] = {
            "script_location": script_location,
            "script_location_at": options.where("script_location") or (ini if has_ini else root),
            "file_template": options.get("file_template") or DEFAULT_FILE_TEMPLATE,
            "truncate_slug_length": str(self._truncate_length(options)),
        }
        if options.ini_section != "alembic":
            settings["ini_section"] = options.ini_section
        locations = split_locations(options)
        if locations:
            here_used = "version_locations" in options.here_used
            resolved = [repo_path(repo, loc, root, here_used) for loc in locations]
            settings["version_locations"] = ", ".join(resolved)
        migrations_dir = (
            settings["version_locations"].split(", ")[0]
            if locations
            else repo_join(script_location, "versions")
        )
        for key in ("recursive_version_locations", "timezone"):
            value = options.get(key)
            if value:
                settings[key] = value.strip()
        config_files = list(options.files)
        env_py = repo_join(script_location, "env.py")
        if env_py in repo.files:
            config_files.append(env_py)
            settings.update(env_hints(repo, env_py))
        url = options.get("sqlalchemy.url")
        url = url.strip() if url else None
        database_url = redact(url) if url else None
        if database_url is None and "url_env" in settings:
            database_url = "${" + settings["url_env"] + "}"
        dialect = (
            scheme_dialect(url)
            or scheme_dialect(settings.get("url_env_default"))
            or driver_dialect(repo)
        )
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=migrations_dir,
            dialect=dialect,
            database_url=database_url,
            config_files=tuple(config_files),
            settings=settings,
        )

    @staticmethod
    def _script_location(
        repo: RepoFacts, evidence: Evidence, options: RawOptions, ini: str | None
    ) -> str:
        raw = options.get("script_location")
        if raw:
            return repo_path(repo, raw, evidence.root, "script_location" in options.here_used)
        # Flask-Migrate keeps alembic.ini inside the script directory and sets the location
        # in code; a script directory found without any config file is used the same way.
        env_dirs = [_dirname(r.path) for r in evidence.reasons if r.path.endswith("env.py")]
        root_env = repo_join(evidence.root, "env.py")
        if root_env in repo.files:
            return evidence.root
        if env_dirs:
            return env_dirs[0]
        where = ini or (options.files[0] if options.files else evidence.root)
        line = options.where("script_location") or f"{where}:1"
        if not options.files:
            raise ConfigError(
                f"{evidence.root}: Alembic is a dependency but there is no alembic.ini or "
                "[tool.alembic]",
                _init_hint(),
            )
        raise ConfigError(f"{line}: the Alembic config has no script_location", _init_hint())

    @staticmethod
    def _truncate_length(options: RawOptions) -> int:
        raw = options.get("truncate_slug_length")
        if not raw:
            return DEFAULT_TRUNCATE_SLUG_LENGTH
        try:
            value = int(raw.strip())
        except ValueError as exc:
            raise ConfigError(
                f"{options.where('truncate_slug_length')}: truncate_slug_length = {raw} is "
                "not a number",
                "write a whole number such as 40",
            ) from exc
        return value or DEFAULT_TRUNCATE_SLUG_LENGTH

    # ------------------------------------------------------------------ history
    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        settings = config.settings
        script_location = settings.get("script_location", posixpath.dirname(config.migrations_dir))
        at = settings.get("script_location_at", config.root)
        if not repo.path(script_location).is_dir():
            raise HistoryError(
                f"{at}: script_location '{script_location}' does not exist",
                "create it with `alembic init` or point script_location at the folder that "
                "holds env.py",
            )
        locations = (
            settings["version_locations"].split(", ")
            if settings.get("version_locations")
            else [repo_join(script_location, "versions")]
        )
        existing = [loc for loc in locations if repo.path(loc).is_dir()]
        if not existing:
            raise HistoryError(
                f"{at}: no versions folder ({', '.join(locations)})",
                f"create {locations[0]}/ (git does not keep empty folders; add a .gitkeep)",
            )
        warnings = [
            HistoryWarning(f"version location {loc} does not exist; Alembic skips it")
            for loc in locations
            if loc not in existing
        ]
        recursive = settings.get("recursive_version_locations", "").lower() == "true"
        files = revision_files(repo, existing, recursive)
        cache = parse_cache.for_repo(repo, "alembic")
        graph = build_graph(
            [cache.get(rel, None, partial(read_revision, repo, rel)) for rel in files]
        )
        cache.save()
        warnings.extend(graph.warnings)
        warnings.extend(
            _naming_warnings(graph.ordered, existing, settings.get("file_template", ""))
        )
        migrations = tuple(
            MigrationRef(
                id=rev.id,
                path=rev.path,
                name=rev.message or posixpath.basename(rev.path)[:-3],
                parents=graph.parents[rev.id],
                has_down=rev.has_down or (rev.upgrade_empty and rev.is_merge),
                kind="merge" if rev.is_merge else "versioned",
            )
            for rev in graph.ordered
        )
        return History(migrations=migrations, heads=graph.heads, warnings=tuple(warnings))

    # ---------------------------------------------------------------- next name
    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
        rev_id: str | Callable[[], str] | None = None,
    ) -> str:
        """Where `alembic revision -m DESCRIPTION` would write the next revision.

        `rev_id` fixes the revision id (a string, or a generator such as a seeded counter in
        tests); by default a fresh one is drawn like Alembic's own.
        """
        known = {m.id for m in history.migrations}
        if isinstance(rev_id, str):
            if rev_id in known:
                raise ConfigError(
                    f"revision id {rev_id} is already used", "pass a revision id that is not taken"
                )
            rid = rev_id
        else:
            draw = rev_id or new_rev_id
            rid = draw()
            while rid in known:
                rid = draw()
        template = config.settings.get("file_template") or DEFAULT_FILE_TEMPLATE
        truncate = int(config.settings.get("truncate_slug_length") or DEFAULT_TRUNCATE_SLUG_LENGTH)
        when = _in_timezone(now, config.settings.get("timezone"))
        tokens = {
            "rev": rid,
            "slug": alembic_slug(description, truncate),
            "epoch": int(when.timestamp()),
            "year": when.year,
            "month": when.month,
            "day": when.day,
            "hour": when.hour,
            "minute": when.minute,
            "second": when.second,
        }
        try:
            filename = template % tokens
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"file_template '{template}' cannot be filled ({exc})",
                "use only the tokens rev, slug, epoch, year, month, day, hour, minute, second",
            ) from exc
        return f"{self._target_folder(config, history)}/{filename}.py"

    @staticmethod
    def _target_folder(config: FrameworkConfig, history: History) -> str:
        """The versions folder; with several version locations, the one of the current head,
        as `alembic revision` picks it."""
        locations = [loc for loc in config.settings.get("version_locations", "").split(", ") if loc]
        if len(locations) > 1 and history.migrations:
            head = history.heads[0] if history.heads else history.migrations[-1].id
            ref = next((m for m in history.migrations if m.id == head), history.migrations[-1])
            for loc in sorted(locations, key=len, reverse=True):
                if ref.path.startswith(loc.rstrip("/") + "/"):
                    return loc
        return config.migrations_dir


def _first_line(text: str, pattern: str) -> tuple[int | None, str]:
    regex = re.compile(pattern)
    for number, line in enumerate(text.splitlines(), start=1):
        if regex.search(line):
            return number, line.strip()
    return None, ""


def _init_hint() -> str:
    return "run `alembic init migrations`, or set script_location = %(here)s/migrations"


def _in_timezone(now: datetime, zone: str | None) -> datetime:
    if not zone or now.tzinfo is None:
        return now
    try:
        return now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"timezone = {zone} is not a known time zone",
            "use an IANA name such as UTC or Europe/Berlin",
        ) from exc


def _template_regex(template: str) -> re.Pattern[str] | None:
    """A regex that matches the names `file_template` produces (None if it cannot say)."""
    token = re.compile(r"%\((\w+)\)([-#0 +]*\d*(?:\.\d+)?[sd])")
    out: list[str] = []
    pos = 0
    for match in token.finditer(template):
        out.append(re.escape(template[pos : match.start()].replace("%%", "%")))
        name, spec = match.group(1), match.group(2)
        if name == "slug":
            out.append(r"\w*")
        elif name == "rev":
            out.append(r"\w+?")
        elif spec.endswith("d"):
            width = re.search(r"(\d+)d$", spec)
            out.append(rf"\d{{{width.group(1)},}}" if width else r"\d+")
        else:
            out.append(r"[^/]+?")
        pos = match.end()
    out.append(re.escape(template[pos:].replace("%%", "%")))
    try:
        return re.compile("".join(out) + r"\.py")
    except re.error:
        return None


def _naming_warnings(
    revisions: tuple[Revision, ...], locations: list[str], template: str
) -> list[HistoryWarning]:
    """Files whose names do not follow file_template, when most of the others do."""
    regex = _template_regex(template or DEFAULT_FILE_TEMPLATE)
    if regex is None or not revisions:
        return []
    irregular: list[str] = []
    for rev in revisions:
        loc = next((loc for loc in locations if rev.path.startswith(loc.rstrip("/") + "/")), "")
        tail = rev.path[len(loc) + 1 :] if loc else rev.path
        if not regex.fullmatch(tail):
            irregular.append(tail)
    if not irregular or len(irregular) == len(revisions):
        return []
    shown = ", ".join(irregular[:5]) + (" ..." if len(irregular) > 5 else "")
    return [
        HistoryWarning(
            f"{len(irregular)} of {len(revisions)} revision files do not follow file_template "
            f"'{template}': {shown}"
        )
    ]


ADAPTER = AlembicAdapter()
