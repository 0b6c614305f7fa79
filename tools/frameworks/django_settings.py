"""Django project facts read without importing Django or the project: settings and apps.

The settings module comes from manage.py's `DJANGO_SETTINGS_MODULE` default, as `manage.py
migrate` would use it; split settings (`settings/dev.py` doing `from .base import *`) are
followed through their star imports. Only literal-ish values are evaluated (pysource), so an
`os.environ.get("DB_PASSWORD")` stays `${DB_PASSWORD}` and `.env` files are never read.

Apps are the folders Django would load migrations from: a package with `apps.py` or
`models.py` and a `migrations/` package, labelled as its AppConfig says (`label`, else the last
part of `name`), kept when INSTALLED_APPS lists it.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..repo import RepoFacts, redact
from .pysource import (
    DatabaseUrlCall,
    EnvValue,
    Opaque,
    evaluate,
    module_assignments,
    parse_python,
    repo_join,
    scheme_dialect,
)

_SETTINGS_DEFAULT = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["'](?P<module>[\w.]+)["']""")
DEFAULT_AUTH_USER_MODEL = "auth.User"


@dataclass(frozen=True)
class DjangoApp:
    """One app whose migrations Django would load."""

    label: str
    module: str
    folder: str
    migrations_dir: str


@dataclass
class DjangoSettings:
    """The evaluated settings module and where each name was set."""

    module: str | None = None
    files: list[str] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: Where the module name came from (manage.py:LINE), for messages.
    source: str = ""

    def where(self, name: str) -> str:
        entry = self.lines.get(name)
        return f"{entry[0]}:{entry[1]}" if entry else (self.files[0] if self.files else "")


def module_file(repo: RepoFacts, root: str, module: str) -> str | None:
    """The file of a dotted module importable from the project root (manage.py's folder)."""
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        path = repo_join(root, candidate)
        if path in repo.files:
            return path
    return None


def find_settings_module(repo: RepoFacts, root: str) -> tuple[str | None, str]:
    """(module, "file:line") of DJANGO_SETTINGS_MODULE's default in manage.py / wsgi / asgi."""
    candidates = [repo_join(root, "manage.py")]
    candidates += [f for f in repo.under(root) if posixpath.basename(f) in {"wsgi.py", "asgi.py"}]
    for path in candidates:
        if path not in repo.files:
            continue
        for number, line in enumerate(repo.read(path).splitlines(), start=1):
            match = _SETTINGS_DEFAULT.search(line)
            if match:
                return match.group("module"), f"{path}:{number}"
    return None, ""


def load_settings(repo: RepoFacts, root: str) -> DjangoSettings:
    """Evaluate the settings module; {} values when the project has none we can find."""
    module, source = find_settings_module(repo, root)
    settings = DjangoSettings(module=module, source=source)
    path: str | None
    if module:
        path = module_file(repo, root, module)
        if path is None:
            raise ConfigError(
                f"{source}: DJANGO_SETTINGS_MODULE '{module}' has no file under {root}",
                f"create {module.replace('.', '/')}.py or fix the module name in manage.py",
            )
    else:
        found = sorted(
            (
                f
                for f in repo.under(root)
                if posixpath.basename(f) == "settings.py" or f.endswith("/settings/__init__.py")
            ),
            key=lambda f: (f.count("/"), f),
        )
        path = next((f for f in found if "INSTALLED_APPS" in repo.read(f)), None)
        if path is None:
            return settings
        settings.module = _module_of(path, root)
    values, lines = _evaluate_module(repo, root, path, settings.files, depth=0)
    settings.values = values
    settings.lines = lines
    return settings


def _module_of(path: str, root: str) -> str:
    rel = path if root == "." else path[len(root) + 1 :]
    rel = rel[: -len("/__init__.py")] if rel.endswith("/__init__.py") else rel[:-3]
    return rel.replace("/", ".")


def _evaluate_module(
    repo: RepoFacts, root: str, path: str, files: list[str], depth: int
) -> tuple[dict[str, object], dict[str, tuple[str, int]]]:
    files.append(path)
    tree = parse_python(
        repo, path, ConfigError, f"fix the syntax of {path}; Django imports it on every command"
    )
    module = _module_of(path, root)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    lines: dict[str, tuple[str, int]] = {}

    def star(node: ast.ImportFrom) -> dict[str, object]:
        if depth > 8:
            return {}
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        target_path = module_file(repo, root, target)
        if target_path is None or target_path in files:
            return {}
        values, sub_lines = _evaluate_module(repo, root, target_path, files, depth + 1)
        lines.update(sub_lines)
        return values

    values, own_lines = module_assignments(tree, on_star_import=star)
    lines.update({name: (path, line) for name, line in own_lines.items()})
    return values, lines


def database_facts(settings: DjangoSettings) -> tuple[str | None, str | None, dict[str, str]]:
    """(dialect, redacted URL, extras) of DATABASES["default"]."""
    databases = settings.values.get("DATABASES")
    extras: dict[str, str] = {}
    if not isinstance(databases, dict):
        return None, None, extras
    if len(databases) > 1:
        extras["databases"] = ", ".join(str(k) for k in databases)
    default = databases.get("default")
    if isinstance(default, DatabaseUrlCall):
        url = default.url
        shown = str(url)
        fallback = url.default if isinstance(url, EnvValue) else None
        dialect = scheme_dialect(url if isinstance(url, str) else None) or scheme_dialect(
            fallback if isinstance(fallback, str) else None
        )
        return dialect, redact(shown), extras
    if not isinstance(default, dict):
        return None, None, extras
    engine = default.get("ENGINE")
    engine_text = engine.default if isinstance(engine, EnvValue) else engine
    dialect = engine_dialect(engine_text if isinstance(engine_text, str) else None)
    if isinstance(engine, str | EnvValue):
        extras["engine"] = str(engine)
    if dialect is None:
        return None, None, extras
    return dialect, redact(_url(dialect, default)), extras


def engine_dialect(engine: str | None) -> str | None:
    """django.db.backends.postgresql / mysql / sqlite3 (and GIS variants) -> dialect."""
    if not engine:
        return None
    tail = engine.rsplit(".", 1)[-1].lower()
    if "postg" in tail or "psycopg" in tail:
        return "postgresql"
    if "mysql" in tail:
        return "mysql"
    if "sqlite" in tail or "spatialite" in tail:
        return "sqlite"
    return None


def _url(dialect: str, db: dict[object, object]) -> str:
    def text(key: str) -> str:
        value = db.get(key)
        return "" if value is None or value == "" else str(value)

    name = text("NAME")
    if dialect == "sqlite":
        return f"sqlite:///{name}"
    user, password, host, port = text("USER"), text("PASSWORD"), text("HOST"), text("PORT")
    auth = user + (f":{password}" if password else "")
    auth = f"{auth}@" if auth else ""
    return f"{dialect}://{auth}{host}{':' + port if port else ''}/{name}"


def _app_label(repo: RepoFacts, folder: str) -> str:
    apps_py = f"{folder}/apps.py"
    label = posixpath.basename(folder)
    if apps_py not in repo.files:
        return label
    try:
        tree = ast.parse(repo.read(apps_py))
    except (SyntaxError, ValueError):
        return label
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        if not any("AppConfig" in ast.unparse(base) for base in cls.bases):
            continue
        attrs: dict[str, object] = {}
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                attrs[stmt.targets[0].id] = evaluate(stmt.value)
        if isinstance(attrs.get("label"), str):
            return str(attrs["label"])
        if isinstance(attrs.get("name"), str):
            return str(attrs["name"]).rsplit(".", 1)[-1]
    return label


def discover_apps(
    repo: RepoFacts, root: str, settings: DjangoSettings
) -> tuple[list[DjangoApp], list[str]]:
    """(apps with migrations that Django would load, app modules skipped as not installed)."""
    listed = settings.values.get("INSTALLED_APPS")
    installed = (
        [a for a in listed if isinstance(a, str)] if isinstance(listed, list | tuple) else None
    )
    overrides = settings.values.get("MIGRATION_MODULES")
    overrides = overrides if isinstance(overrides, dict) else {}
    apps: list[DjangoApp] = []
    skipped: list[str] = []
    folders = sorted(
        {
            posixpath.dirname(f)
            for f in repo.under(root)
            if posixpath.basename(f) in {"apps.py", "models.py"}
            or f.endswith("/models/__init__.py")
        }
    )
    for folder in folders:
        folder = folder[: -len("/models")] if folder.endswith("/models") else folder
        if (
            f"{folder}/__init__.py" not in repo.files
            and f"{folder}/migrations/__init__.py" not in repo.files
        ):
            continue
        module = _module_of(f"{folder}/__init__.py", root)
        if installed is not None and not any(
            entry == module or entry.startswith(module + ".") for entry in installed
        ):
            if f"{folder}/migrations/__init__.py" in repo.files:
                skipped.append(module)
            continue
        label = _app_label(repo, folder)
        override = overrides.get(label)
        if label in overrides and override is None:
            continue  # MIGRATION_MODULES = {label: None} disables migrations
        if isinstance(override, str):
            target = module_file(repo, root, override)
            migrations_dir = (
                posixpath.dirname(target) if target else repo_join(root, *override.split("."))
            )
        elif f"{folder}/migrations/__init__.py" in repo.files:
            migrations_dir = f"{folder}/migrations"
        else:
            continue
        if any(app.label == label for app in apps):
            continue
        apps.append(DjangoApp(label, module, folder, migrations_dir))
    return sorted(apps, key=lambda a: a.label), skipped


def auth_user_model(settings: DjangoSettings) -> str:
    value = settings.values.get("AUTH_USER_MODEL")
    return value if isinstance(value, str) else DEFAULT_AUTH_USER_MODEL


def string_settings(settings: DjangoSettings) -> dict[str, str]:
    """Top-level string settings (for swappable dependencies such as AUTH_USER_MODEL)."""
    out = {k: v for k, v in settings.values.items() if isinstance(v, str)}
    out.setdefault("AUTH_USER_MODEL", DEFAULT_AUTH_USER_MODEL)
    return out


def installed_apps_text(settings: DjangoSettings) -> str | None:
    value = settings.values.get("INSTALLED_APPS")
    if not isinstance(value, list | tuple):
        return None
    return ", ".join(str(v) for v in value if not isinstance(v, Opaque))
