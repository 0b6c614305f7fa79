"""The Django adapter: detection, settings, the migration graph and the next file name.

Settings and app discovery live in django_settings.py and the graph in django_graph.py; this
module ties them to the Framework protocol. Django itself is never imported and the project's
modules are never executed: manage.py would, analysis reads them with `ast`.

One FrameworkConfig covers one Django project (the folder of its manage.py). Its
`migrations_dir` is the single app's migrations folder when one app has migrations, else the
project folder; `settings["apps"]` lists every app as `label=migrations/dir`.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime

from ..errors import HistoryError
from ..repo import RepoFacts
from . import parse_cache
from .base import (
    Evidence,
    EvidenceLine,
    FrameworkConfig,
    History,
    HistoryWarning,
    MigrationRef,
)
from .django_graph import DjangoMigration, build_graph, migration_files, read_migration
from .django_settings import (
    auth_user_model,
    database_facts,
    discover_apps,
    installed_apps_text,
    load_settings,
)
from .pysource import driver_dialect, owning_roots, repo_join

_SETTINGS_LINE = re.compile(r"DJANGO_SETTINGS_MODULE")
_DEPENDENCY = re.compile(r"""(?i)(?:^|["'\s])django\s*(?:[<>=!~\[;,"']|$)""")
_MANIFEST = re.compile(
    r"(?:.*/)?(requirements[^/]*\.(?:txt|in)|pyproject\.toml|setup\.cfg|Pipfile)$"
)
_SLUG_LIMIT = 52


def django_slug(description: str) -> str:
    """A migration name from free text, as `makemigrations --name` would accept it.

    Non-word runs become `_` (Django's own names are snake_case identifiers), lowercased, and
    cut at a word boundary to 52 characters, the length Django keeps its generated names to.
    """
    slug = re.sub(r"\W+", "_", description.strip().lower()).strip("_")
    if len(slug) > _SLUG_LIMIT:
        cut = slug[:_SLUG_LIMIT]
        slug = cut.rsplit("_", 1)[0] if "_" in cut else cut
    return slug or "auto"


def parse_number(name: str) -> int | None:
    """The number Django gives a migration name (MigrationAutodetector.parse_number)."""
    squashed = re.search(r".*_squashed_(\d+)", name)
    if squashed:
        return int(squashed.group(1))
    match = re.match(r"^\d+", name)
    return int(match.group(0)) if match else None


def _dirname(rel: str) -> str:
    return posixpath.dirname(rel) or "."


def _parse_apps(text: str) -> list[tuple[str, str]]:
    pairs = [item.split("=", 1) for item in text.split(", ") if "=" in item]
    return [(label, folder) for label, folder in pairs]


class DjangoAdapter:
    """Django's built-in migrations (`manage.py makemigrations` / `migrate`)."""

    name = "django"
    title = "Django"

    # ---------------------------------------------------------------- detection
    def detect(self, repo: RepoFacts) -> list[Evidence]:
        reasons: dict[str, list[EvidenceLine]] = {}
        confidence: dict[str, float] = {}
        for manage in repo.named("manage.py"):
            for number, line in enumerate(repo.read(manage).splitlines(), start=1):
                if _SETTINGS_LINE.search(line):
                    root = _dirname(manage)
                    reasons[root] = [EvidenceLine(manage, number, line.strip())]
                    confidence[root] = 0.8
                    break
        for package in self._migration_packages(repo):
            owner = next(iter(owning_roots(_dirname(package), reasons)), None)
            if owner is None:  # migrations without manage.py: a reusable app or a library
                owner = "."
                reasons.setdefault(owner, [])
                confidence.setdefault(owner, 0.55)
            reasons[owner].append(EvidenceLine(package, None, "Django migrations package"))
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

    @staticmethod
    def _migration_packages(repo: RepoFacts) -> list[str]:
        """migrations/ packages whose modules (or app) are Django's, one file read each."""
        files = set(repo.files)
        out = []
        for init in repo.named("__init__.py"):
            folder = _dirname(init)
            if posixpath.basename(folder) != "migrations":
                continue
            siblings = sorted(
                f
                for f in repo.under(folder)
                if f.endswith(".py") and f.count("/") == init.count("/") and f != init
            )
            app = _dirname(folder)
            probe = (
                siblings[:1]
                or [
                    f
                    for f in (repo_join(app, "apps.py"), repo_join(app, "models.py"))
                    if f in files
                ][:1]
            )
            if probe and "django" in repo.read(probe[0]):
                out.append(folder)
        return out

    # ------------------------------------------------------------ configuration
    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        settings = load_settings(repo, root)
        apps, skipped = discover_apps(repo, root, settings)
        dialect, database_url, extras = database_facts(settings)
        out: dict[str, str] = {
            "apps": ", ".join(f"{app.label}={app.migrations_dir}" for app in apps),
            "auth_user_model": auth_user_model(settings),
        }
        if settings.module:
            out["settings_module"] = settings.module
        if settings.files:
            out["settings_files"] = ", ".join(settings.files)
        installed = installed_apps_text(settings)
        if installed is not None:
            out["installed_apps"] = installed
        if skipped:
            out["apps_not_installed"] = ", ".join(skipped)
        out.update(extras)
        external = self._external_dependencies(
            repo, [(a.label, a.migrations_dir) for a in apps], out["auth_user_model"]
        )
        if external:
            out["external_dependencies"] = ", ".join(external)
        config_files = [f for f in (repo_join(root, "manage.py"),) if f in repo.files]
        config_files += [f for f in settings.files if f not in config_files]
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=apps[0].migrations_dir if len(apps) == 1 else root,
            dialect=dialect or driver_dialect(repo),
            database_url=database_url,
            config_files=tuple(config_files),
            settings=out,
        )

    @staticmethod
    def _external_dependencies(
        repo: RepoFacts, apps: list[tuple[str, str]], user_model: str
    ) -> list[str]:
        """Dependencies on apps outside the repo (django.contrib.auth, a swappable model)."""
        labels = {label for label, _ in apps}
        out: list[str] = []
        for label, folder in apps:
            for name, rel in migration_files(repo, folder):
                try:
                    migration = _read(repo, label, name, rel, {"AUTH_USER_MODEL": user_model})
                except HistoryError:
                    continue  # history() reports it; the configuration is still readable
                for dep in (*migration.dependencies, *migration.run_before):
                    note = f"{dep.app}.{dep.name}" + (
                        f" ({dep.swappable})" if dep.swappable else ""
                    )
                    if dep.app not in labels and note not in out:
                        out.append(note)
        return out

    # ------------------------------------------------------------------ history
    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        apps = _parse_apps(config.settings.get("apps", ""))
        if not apps:
            raise HistoryError(
                f"{config.root}: no installed app has a migrations package",
                "create the first migration with `python manage.py makemigrations <app_label>`",
            )
        swappable = {"AUTH_USER_MODEL": config.settings.get("auth_user_model", "auth.User")}
        migrations: list[DjangoMigration] = []
        for label, folder in apps:
            if not repo.path(folder).is_dir():
                raise HistoryError(
                    f"{folder}: migrations package of app '{label}' does not exist",
                    f"create it with `python manage.py makemigrations {label}` or fix "
                    "MIGRATION_MODULES",
                )
            for name, rel in migration_files(repo, folder):
                migrations.append(_read(repo, label, name, rel, swappable))
        parse_cache.for_repo(repo, "django").save()
        graph = build_graph(migrations)
        warnings = list(graph.warnings)
        for module in filter(None, config.settings.get("apps_not_installed", "").split(", ")):
            warnings.append(
                HistoryWarning(
                    f"app {module} has migrations but is not in INSTALLED_APPS; Django ignores them"
                )
            )
        refs = tuple(
            MigrationRef(
                id=m.id,
                path=m.path,
                name=m.name,
                parents=tuple(sorted(f"{a}.{n}" for a, n in graph.parents[m.key])),
                app=m.app,
                has_down=not m.irreversible,
                replaces=tuple(f"{a}.{n}" for a, n in graph.squashed.get(m.key, ())),
                kind="squashed" if m.key in graph.squashed else "versioned",
            )
            for m in graph.ordered
        )
        heads = tuple(f"{a}.{n}" for a, n in graph.leaves)
        return History(migrations=refs, heads=heads, warnings=tuple(warnings))

    # ---------------------------------------------------------------- next name
    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
        app: str | None = None,
    ) -> str:
        """`<app>/migrations/NNNN_<slug>.py` for the app of the most recent migration.

        `app` picks another app by label. The number follows the app's leaf as
        `makemigrations` numbers it (a squash `0001_squashed_0004_x` counts as 4). `now` is
        unused: Django names carry no timestamp.
        """
        apps = dict(_parse_apps(config.settings.get("apps", "")))
        if app is None:
            last = history.last
            app = last.app if last is not None and last.app else next(iter(apps), None)
        if app is None or app not in apps:
            raise HistoryError(
                f"no migrations package for app '{app}'",
                f"pick one of: {', '.join(apps) or 'none; run makemigrations first'}",
            )
        numbers = [
            parse_number(head.split(".", 1)[1]) or 0
            for head in history.heads
            if head.split(".", 1)[0] == app
        ]
        number = max(numbers, default=0) + 1
        folder = apps[app]
        slug = django_slug(description)
        taken = {posixpath.basename(f) for f in repo.under(folder)}
        while f"{number:04d}_{slug}.py" in taken:
            number += 1
        return f"{folder}/{number:04d}_{slug}.py"


ADAPTER = DjangoAdapter()


def _read(
    repo: RepoFacts, app: str, name: str, rel: str, swappable: dict[str, str]
) -> DjangoMigration:
    """read_migration through the parse cache (the swappable settings are part of the key)."""
    extra = (app, name, tuple(sorted(swappable.items())))
    return parse_cache.for_repo(repo, "django").get(
        rel, extra, lambda: read_migration(repo, app, name, rel, swappable)
    )
