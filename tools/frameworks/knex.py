"""Knex: a knexfile (`knexfile.js` / `.ts`) and `YYYYMMDDHHMMSS_name.js` migrations.

The knexfile exports either one config (`{ client, connection, migrations }`) or one per
environment (`development`, `production`, ...; the CLI picks NODE_ENV, else development).
The CLI changes into the knexfile's folder, so relative `migrations.directory` paths are
relative to it. Migrations are applied in file-name order across all directories, filtered
by `loadExtensions`, and knex refuses to run one that lacks either `up` or `down`.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..errors import ConfigError
from ..repo import RepoFacts, redact
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .jslex import JsExpr, JsValue, display
from .jsproject import (
    build_url,
    check_up_down,
    config_module,
    config_path,
    dependency_reasons,
    dialect_from_dependencies,
    dialect_of,
    duplicate_stamps,
    file_reason,
    files_in,
    folder_of,
    join,
    linear_history,
    missing_dir,
    snake,
    stamp14,
    usual_extension,
)

_KNEXFILES = ("knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs")
_REGULAR = re.compile(r"^(\d{14})_\w[\w.-]*$")
#: knex's DEFAULT_LOAD_EXTENSIONS (lib/migrations/common/MigrationsLoader.js).
_LOAD_EXTENSIONS = (".co", ".coffee", ".eg", ".iced", ".js", ".cjs", ".litcoffee", ".ls", ".ts")
_DEFAULT_ENV = "development"
_FLAT_KEYS = {"client", "connection", "migrations", "dialect"}


class Knex:
    name = "knex"
    title = "Knex"

    # -- detection -----------------------------------------------------------------------
    def detect(self, repo: RepoFacts) -> list[Evidence]:
        evidence = []
        for knexfile in repo.named(*_KNEXFILES):
            root = folder_of(knexfile)
            reasons = [file_reason(repo, knexfile, r"client\s*:")]
            deps = dependency_reasons(repo, root, ("knex",))
            if not deps and root != ".":
                deps = dependency_reasons(repo, ".", ("knex",))
            reasons += deps
            migrations = [
                f
                for f in repo.under(root)
                if _REGULAR.match(f.rsplit("/", 1)[-1]) and f.endswith(_LOAD_EXTENSIONS)
            ]
            if migrations:
                reasons.append(
                    EvidenceLine(
                        folder_of(migrations[0]),
                        None,
                        f"{len(migrations)} timestamped migration files",
                    )
                )
            confidence = 0.7 + 0.15 * bool(deps) + 0.1 * bool(migrations)
            evidence.append(Evidence(self.name, round(confidence, 2), tuple(reasons), root))
        return evidence

    # -- configuration -------------------------------------------------------------------
    def _knexfile(self, repo: RepoFacts, root: str) -> str:
        for name in _KNEXFILES:
            if join(root, name) in repo.files:
                return join(root, name)
        raise ConfigError(
            f"{join(root, 'knexfile.js')}: no knexfile",
            "create one with `npx knex init`, or run migwright on the folder that has it",
        )

    def _environment(self, exported: JsValue, knexfile: str) -> tuple[str, dict[str, JsValue]]:
        if isinstance(exported, JsExpr) or exported is None:
            return "", {}
        if not isinstance(exported, dict):
            raise ConfigError(
                f"{knexfile}:1: the knexfile does not export a config object",
                "export `{ client, connection, migrations }` or one such object per environment",
            )
        if _FLAT_KEYS & exported.keys():
            return "", exported
        env = _DEFAULT_ENV if _DEFAULT_ENV in exported else next(iter(exported), "")
        block = exported.get(env)
        if isinstance(block, JsExpr):
            return env, {}
        if not isinstance(block, dict):
            raise ConfigError(
                f"{knexfile}:1: environment {env!r} is not a config object",
                f"give {env!r} an object with client, connection and migrations",
            )
        return env, block

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        knexfile = self._knexfile(repo, root)
        exported = config_module(repo, knexfile, "knex").default_export()
        env, block = self._environment(exported, knexfile)
        migrations = block.get("migrations")
        if migrations is not None and not isinstance(migrations, (dict, JsExpr)):
            raise ConfigError(
                f"{knexfile}:1: `migrations` is not an object",
                "write migrations as `{ directory: './migrations', tableName: ... }`",
            )
        options = migrations if isinstance(migrations, dict) else {}
        directories = options.get("directory", "./migrations")
        if not isinstance(directories, list):
            directories = [directories]
        dirs = [config_path(d, root, root) for d in directories if isinstance(d, str)]
        if not dirs:
            dirs = [join(root, "migrations")]
        client = block.get("client")
        dialect = dialect_of(client) or (
            dialect_from_dependencies(repo.npm_dependencies(join(root, "package.json")))
            if client is None
            else None
        )
        load = options.get("loadExtensions")
        default_ext = "ts" if knexfile.endswith(".ts") else "js"
        settings = {
            "knexfile": knexfile,
            "env": env or "(flat config)",
            "client": display(client) or "",
            "directory": ", ".join(dirs),
            "extension": display(options.get("extension")) or "",
            "default_extension": default_ext,
            "tableName": display(options.get("tableName")) or "knex_migrations",
            "loadExtensions": (display(load) if isinstance(load, list) else None)
            or " ".join(_LOAD_EXTENSIONS),
        }
        for key in ("schemaName", "sortDirsSeparately"):
            if key in options:
                settings[key] = display(options[key]) or ""
        if not isinstance(exported, dict):
            settings["note"] = "the knexfile's export is computed; defaults were assumed"
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=dirs[0],
            dialect=dialect,
            database_url=self._url(repo, block.get("connection"), client, root),
            config_files=(knexfile,),
            settings=settings,
        )

    def _url(self, repo: RepoFacts, connection: JsValue, client: JsValue, root: str) -> str | None:
        if connection is None:
            return None
        if isinstance(connection, dict):
            if isinstance(connection.get("connectionString"), str):
                return redact(str(connection["connectionString"]))
            if "filename" in connection:
                filename = connection["filename"]
                where = (
                    config_path(filename, root, root)
                    if isinstance(filename, str)
                    else (display(filename))
                )
                return f"sqlite:{where}"
            scheme = display(client) or "db"
            return build_url(
                scheme,
                display(connection.get("user")),
                connection.get("password"),
                display(connection.get("host")),
                display(connection.get("port")),
                display(connection.get("database")),
            )
        return redact(display(connection) or "")

    # -- history -------------------------------------------------------------------------
    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        dirs = config.settings.get("directory", config.migrations_dir).split(", ")
        loads = tuple(
            config.settings.get("loadExtensions", " ".join(_LOAD_EXTENSIONS))
            .replace(",", " ")
            .split()
        )
        files: list[str] = []
        for folder in dirs:
            if not repo.path(folder).is_dir():
                raise missing_dir(
                    folder,
                    self.title,
                    "create it with `npx knex migrate:make "
                    "<name>`, or fix migrations.directory in the knexfile",
                )
            files += files_in(repo, folder, loads)
        separately = config.settings.get("sortDirsSeparately") == "true"
        if not separately:
            files.sort(key=lambda p: p.rsplit("/", 1)[-1])
        migrations: list[MigrationRef] = []
        warnings: list[HistoryWarning] = []
        for path in files:
            file = path.rsplit("/", 1)[-1]
            check_up_down(repo, path, "knex", down_required=True)
            regular = _REGULAR.match(file)
            if not regular:
                warnings.append(
                    HistoryWarning(
                        f"irregular name {file!r}: knex runs migrations in file-name order, so it "
                        "runs where its name sorts, not by date",
                        path,
                    )
                )
            stem = file.rsplit(".", 1)[0]
            name = stem.split("_", 1)[-1] if regular else stem
            migrations.append(MigrationRef(id=file, path=path, name=name, has_down=True))
        warnings += duplicate_stamps([(m.path, m.id) for m in migrations], _REGULAR)
        return linear_history(migrations, warnings)

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        """`<directory>/<YYYYMMDDHHMMSS>_<snake_name>.<ext>`, as `knex migrate:make` names it.

        The extension is the configured `migrations.extension`, else the one the existing
        migrations use, else the knexfile's own.
        """
        ext = config.settings.get("extension") or usual_extension(
            [m.path for m in history.migrations], config.settings.get("default_extension", "js")
        )
        stamp = stamp14(now, [m.id for m in history.migrations])
        return f"{config.migrations_dir}/{stamp}_{snake(description)}.{ext.lstrip('.')}"


ADAPTER = Knex()
