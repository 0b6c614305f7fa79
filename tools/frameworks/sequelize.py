"""Sequelize through sequelize-cli: `.sequelizerc`, `config/config.json`, timestamped JS files.

sequelize-cli finds its paths in `.sequelizerc` (a JS module exporting `config`,
`migrations-path`, `models-path`, `seeders-path`, usually built with `path.resolve`), falls
back to `config/config.json` and `migrations/`, and picks the block of the config file named
by NODE_ENV (development by default). Migrations are `YYYYMMDDHHMMSS-name.js` modules
exporting `up` and `down`, applied in file-name order and recorded by file name in
`SequelizeMeta`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from ..errors import ConfigError
from ..repo import RepoFacts, redact
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .jslex import JsValue, display
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
    kebab,
    linear_history,
    missing_dir,
    stamp14,
    usual_extension,
)

_REGULAR = re.compile(r"^(\d{14})-[\w.-]+\.(?:c?js|c?ts)$")
#: What sequelize-cli (through umzug) loads from the migrations folder.
_EXTENSIONS = (".js", ".cjs", ".ts", ".cts")
_RC_KEYS = ("config", "migrations-path", "models-path", "seeders-path", "url", "env")
_DEFAULT_ENV = "development"


class Sequelize:
    name = "sequelize"
    title = "Sequelize"

    # -- detection -----------------------------------------------------------------------
    def detect(self, repo: RepoFacts) -> list[Evidence]:
        roots: dict[str, list[EvidenceLine]] = {}
        for rc in repo.named(".sequelizerc"):
            roots[folder_of(rc)] = [file_reason(repo, rc, r"migrations-path|config")]
        for manifest in repo.named("package.json"):
            root = folder_of(manifest)
            deps = dependency_reasons(repo, root, ("sequelize-cli", "sequelize"))
            has_cli = any('"sequelize-cli"' in d.text for d in deps)
            has_config = any(
                join(root, f"config/config.{ext}") in repo.files for ext in ("js", "json")
            )
            if root in roots:
                roots[root] += deps
            elif has_cli or (deps and has_config):
                roots[root] = deps
        evidence = []
        for root, reasons in sorted(roots.items()):
            has_rc = join(root, ".sequelizerc") in repo.files
            config = next(
                (
                    join(root, f"config/config.{e}")
                    for e in ("js", "json")
                    if join(root, f"config/config.{e}") in repo.files
                ),
                None,
            )
            if config:
                reasons.append(file_reason(repo, config, r'"?dialect"?\s*:'))
            migrations = [
                f
                for f in repo.under(root)
                if _REGULAR.match(f.rsplit("/", 1)[-1]) and "seeders" not in f.split("/")
            ]
            if migrations:
                reasons.append(
                    EvidenceLine(
                        folder_of(migrations[0]),
                        None,
                        f"{len(migrations)} timestamped migration files",
                    )
                )
            confidence = 0.5 + 0.2 * has_rc + 0.1 * bool(config) + 0.15 * bool(migrations)
            evidence.append(
                Evidence(self.name, round(min(confidence, 0.95), 2), tuple(reasons), root)
            )
        return evidence

    # -- configuration -------------------------------------------------------------------
    def _rc(self, repo: RepoFacts, root: str) -> dict[str, str]:
        rc = join(root, ".sequelizerc")
        if rc not in repo.files:
            return {}
        exported = config_module(repo, rc, "sequelize-cli").default_export()
        if not isinstance(exported, dict):
            raise ConfigError(
                f"{rc}:1: .sequelizerc does not export an object",
                "export the paths with `module.exports = { 'migrations-path': ... }`",
            )
        paths: dict[str, str] = {}
        for key in _RC_KEYS:
            value = exported.get(key)
            if isinstance(value, str):
                paths[key] = value if key in ("url", "env") else config_path(value, root, root)
            elif value is not None:
                paths[key] = display(value) or ""
        return paths

    def _load_config(self, repo: RepoFacts, path: str) -> JsValue:
        if path.endswith(".json"):
            try:
                data: JsValue = json.loads(repo.read(path))
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{path}:{exc.lineno}: invalid JSON ({exc.msg})",
                    f"fix the JSON in {path}; sequelize-cli cannot read it",
                ) from None
            return data
        return config_module(repo, path, "sequelize-cli").default_export()

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        root = evidence.root
        rc = self._rc(repo, root)
        config_file = rc.get("config")
        if config_file is None:
            config_file = next(
                (
                    join(root, f"config/config.{e}")
                    for e in ("js", "json")
                    if join(root, f"config/config.{e}") in repo.files
                ),
                join(root, "config/config.json"),
            )
        env = rc.get("env", _DEFAULT_ENV)
        settings = {
            "env": env,
            "config": config_file,
            "migrations-path": rc.get("migrations-path", join(root, "migrations")),
            "models-path": rc.get("models-path", join(root, "models")),
            "seeders-path": rc.get("seeders-path", join(root, "seeders")),
            "migrationStorageTableName": "SequelizeMeta",
        }
        block: dict[str, JsValue] = {}
        if config_file in repo.files:
            data = self._load_config(repo, config_file)
            block = self._env_block(data, env, config_file)
        url = rc.get("url") or block.get("url")
        dialect = dialect_of(block.get("dialect"))
        if dialect is None and isinstance(url, str) and "://" in url:
            dialect = dialect_of(url.split("://", 1)[0])
        if dialect is None and "dialect" not in block:
            dialect = dialect_from_dependencies(repo.npm_dependencies(join(root, "package.json")))
        for key in ("migrationStorageTableName", "migrationStorage", "use_env_variable"):
            if isinstance(block.get(key), str):
                settings[key] = str(block[key])
        if isinstance(block.get("dialect"), str):
            settings["dialect"] = str(block["dialect"])
        files = [f for f in (join(root, ".sequelizerc"), config_file) if f in repo.files]
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=settings["migrations-path"],
            dialect=dialect,
            database_url=self._url(repo, block, url),
            config_files=tuple(files),
            settings=settings,
        )

    def _env_block(self, data: JsValue, env: str, path: str) -> dict[str, JsValue]:
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}:1: the config is not an object of environments",
                f'write {path} as {{"development": {{"dialect": "mysql", ...}}}}',
            )
        if "dialect" in data or "use_env_variable" in data:
            return data
        block = data.get(env)
        if block is None and data:
            block = next(iter(data.values()))
        if block is not None and not isinstance(block, dict):
            raise ConfigError(
                f"{path}:1: environment {env!r} is not an object",
                f'give {env!r} an object such as {{"dialect": "mysql", "database": ...}}',
            )
        return block or {}

    def _url(self, repo: RepoFacts, block: dict[str, JsValue], url: JsValue) -> str | None:
        if isinstance(block.get("use_env_variable"), str):
            return "${" + str(block["use_env_variable"]) + "}"
        if url is not None:
            return redact(display(url) or "")
        dialect = block.get("dialect")
        if not isinstance(dialect, str):
            return None
        if dialect == "sqlite":
            return f"sqlite:{display(block.get('storage')) or ':memory:'}"
        return build_url(
            dialect,
            display(block.get("username")),
            block.get("password"),
            display(block.get("host")),
            display(block.get("port")),
            display(block.get("database")),
        )

    # -- history -------------------------------------------------------------------------
    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        folder = config.migrations_dir
        if not repo.path(folder).is_dir():
            raise missing_dir(
                folder,
                self.title,
                "create it with `npx sequelize-cli init:"
                "migrations`, or set 'migrations-path' in .sequelizerc",
            )
        migrations: list[MigrationRef] = []
        warnings: list[HistoryWarning] = []
        for path in files_in(repo, folder, _EXTENSIONS):
            file = path.rsplit("/", 1)[-1]
            has_down, found = check_up_down(repo, path, "sequelize-cli", down_required=False)
            warnings += found
            if not _REGULAR.match(file):
                warnings.append(
                    HistoryWarning(
                        f"irregular name {file!r}: sequelize-cli runs it in file-name order, "
                        "not by date",
                        path,
                    )
                )
            name = file.split("-", 1)[-1].rsplit(".", 1)[0] if _REGULAR.match(file) else file
            migrations.append(MigrationRef(id=file, path=path, name=name, has_down=has_down))
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
        """`<migrations-path>/<YYYYMMDDHHMMSS>-<kebab-name>.js`, as `migration:generate` does."""
        ext = usual_extension([m.path for m in history.migrations], "js")
        stamp = stamp14(now, [m.id for m in history.migrations])
        return f"{config.migrations_dir}/{stamp}-{kebab(description)}.{ext}"


ADAPTER = Sequelize()
