"""TypeORM: a `new DataSource({...})` (or ormconfig) and `<ms>-Name.ts` migration classes.

TypeORM loads every class exported from the files its `migrations` option names (globs such
as `src/migrations/*.ts`, or the classes themselves), takes the 13-digit timestamp at the end
of each class name (`AddDeals1700000000000`), and runs them in timestamp order; the file name
does not matter to it, which is why a renamed file can drift from its class. The row it
writes in the `migrations` table is the class's `name` property, or the class name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from ..errors import ConfigError, HistoryError
from ..repo import RepoFacts, redact
from .base import Evidence, EvidenceLine, FrameworkConfig, History, HistoryWarning, MigrationRef
from .jslex import JsExpr, JsValue, display
from .jsproject import (
    build_url,
    config_module,
    config_path,
    dependency_reasons,
    dialect_from_dependencies,
    dialect_of,
    file_reason,
    folder_of,
    join,
    linear_history,
    migration_module,
    missing_dir,
    pascal,
    project_dir,
    stamp_ms,
    usual_extension,
)
from .jssource import classes, imports

_ORMCONFIGS = ("ormconfig.json", "ormconfig.js", "ormconfig.ts", "ormconfig.cjs")
_NEW_DATASOURCE = re.compile(r"new\s+(?:typeorm\.)?DataSource\s*\(")
_LIKELY = re.compile(r"(data-?source|ormconfig|typeorm|database|^db)[^/]*\.[cm]?[jt]s$", re.I)
_FILE = re.compile(r"^(\d{13})-([A-Za-z_$][\w$]*)\.[cm]?[jt]s$")
_CLASS_STAMP = re.compile(r"(\d{13})$")
_SOURCE_EXT = (".ts", ".js", ".mts", ".cts", ".mjs", ".cjs")
_MAX_SCAN = 400


@dataclass(frozen=True)
class _Migration:
    ref: MigrationRef
    stamp: int
    line: int


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as TypeORM's `glob` reads it (`**/`, `*`, `?`, `{a,b}`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
            continue
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "{":
            end = pattern.find("}", i)
            if end > i:
                options = pattern[i + 1 : end].split(",")
                out.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
                i = end
            else:
                out.append(re.escape(ch))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + "$")


def glob_dir(pattern: str) -> str:
    """The fixed folder at the start of a glob (`src/migrations/*.ts` -> src/migrations)."""
    parts = []
    for part in pattern.split("/")[:-1]:
        if any(c in part for c in "*?{["):
            break
        parts.append(part)
    return "/".join(parts) or "."


class TypeOrm:
    name = "typeorm"
    title = "TypeORM"

    # -- detection -----------------------------------------------------------------------
    def _data_sources(self, repo: RepoFacts, root: str) -> list[tuple[str, int, str]]:
        candidates = [
            f
            for f in repo.under(root)
            if f.endswith(_SOURCE_EXT)
            and not f.endswith(".d.ts")
            and not _FILE.match(f.rsplit("/", 1)[-1])
        ]
        likely = [f for f in candidates if _LIKELY.search(f.rsplit("/", 1)[-1])]
        found = []
        for path in likely or candidates[:_MAX_SCAN]:
            text = repo.read(path)
            if "typeorm" not in text or not (m := _NEW_DATASOURCE.search(text)):
                continue
            line = text.count("\n", 0, m.start()) + 1
            found.append((path, line, text.splitlines()[line - 1].strip()))
        return found

    def detect(self, repo: RepoFacts) -> list[Evidence]:
        evidence = []
        roots = {
            folder_of(m)
            for m in repo.named("package.json")
            if "typeorm" in repo.npm_dependencies(m)
        }
        for config in repo.named(*_ORMCONFIGS):
            root = folder_of(config)
            roots.discard(root)
            reasons = [file_reason(repo, config, r"type")]
            reasons += dependency_reasons(repo, root, ("typeorm",))
            evidence.append(Evidence(self.name, 0.85, tuple(reasons), root))
        for root in sorted(roots):
            deps = dependency_reasons(repo, root, ("typeorm",))
            sources = self._data_sources(repo, root)
            migrations = [f for f in repo.under(root) if _FILE.match(f.rsplit("/", 1)[-1])]
            extra = (
                [
                    EvidenceLine(
                        folder_of(migrations[0]),
                        None,
                        f"{len(migrations)} timestamped migration classes",
                    )
                ]
                if migrations
                else []
            )
            if not sources:
                evidence.append(
                    Evidence(self.name, 0.5 if migrations else 0.35, tuple(deps + extra), root)
                )
            if sources:
                # One project, one evidence: a second DataSource (tests, seeding) is a reason,
                # not a second history; config() takes the first one that lists migrations.
                found = [EvidenceLine(path, line, redact(text)) for path, line, text in sources]
                confidence = 0.95 if migrations else 0.8
                evidence.append(Evidence(self.name, confidence, (*found, *deps, *extra), root))
        return evidence

    # -- configuration -------------------------------------------------------------------
    def _options(self, repo: RepoFacts, evidence: Evidence) -> tuple[str, dict[str, JsValue]]:
        for reason in evidence.reasons:
            path = reason.path
            if path.endswith("ormconfig.json"):
                try:
                    data = json.loads(repo.read(path))
                except json.JSONDecodeError as exc:
                    raise ConfigError(
                        f"{path}:{exc.lineno}: invalid JSON ({exc.msg})", f"fix the JSON in {path}"
                    ) from None
                if isinstance(data, list):
                    data = next(
                        (c for c in data if c.get("name", "default") == "default"),
                        data[0] if data else {},
                    )
                return path, data if isinstance(data, dict) else {}
            if path.rsplit("/", 1)[-1] in _ORMCONFIGS:
                exported = config_module(repo, path, "TypeORM").default_export()
                return path, exported if isinstance(exported, dict) else {}
            if reason.line is not None and path.endswith(_SOURCE_EXT):
                found = config_module(repo, path, "TypeORM").find_new("DataSource")
                options = next((o for o, _ in found if isinstance(o, dict)), None)
                if (
                    isinstance(options, dict)
                    and "migrations" not in options
                    and any(
                        r.line is not None and r.path.endswith(_SOURCE_EXT) and r.path != path
                        for r in evidence.reasons[evidence.reasons.index(reason) + 1 :]
                    )
                ):
                    continue
                if options is None:
                    return self._fallback(
                        repo,
                        evidence.root,
                        ConfigError(
                            f"{path}:{reason.line}: DataSource options are not an object literal",
                            "pass the options inline: `new DataSource({ type: ..., migrations: "
                            "[...] })`",
                        ),
                        path,
                    )
                return path, options
        return self._fallback(
            repo,
            evidence.root,
            ConfigError(
                f"{evidence.root}: TypeORM is installed but no DataSource was found",
                "export `new DataSource({ type, migrations: ['src/migrations/*.ts'] })` from "
                "src/data-source.ts",
            ),
        )

    def _fallback(
        self, repo: RepoFacts, root: str, error: ConfigError, source: str = ""
    ) -> tuple[str, dict[str, JsValue]]:
        """Options built elsewhere (NestJS `forRootAsync`, a config service): use the folder
        that holds the migration classes, and say so; with none to be found, `error` stands."""
        folders = sorted(
            {
                folder_of(f)
                for f in repo.under(root)
                if _FILE.match(f.rsplit("/", 1)[-1]) and "MigrationInterface" in repo.read(f)
            }
        )
        if not folders:
            raise error
        note = f"{error} (used the migration classes found in {', '.join(folders)})"
        relative = [f if root == "." else f[len(root) + 1 :] for f in folders]
        options: dict[str, JsValue] = {"migrations": [f"{f}/*.{{ts,js}}" for f in relative]}
        return source, {**options, "note": note}

    def config(self, repo: RepoFacts, evidence: Evidence) -> FrameworkConfig:
        source, options = self._options(repo, evidence)
        root = project_dir(repo, folder_of(source)) if source else evidence.root
        globs, settings = self._migration_globs(repo, source or root, root, options)
        if isinstance(options.get("note"), str):
            settings["note"] = str(options["note"])
        kind = options.get("type")
        settings.update(
            {
                "datasource": source,
                "type": display(kind) or "",
                "migrationsTableName": display(options.get("migrationsTableName")) or "migrations",
            }
        )
        for key in ("entities", "synchronize", "migrationsRun"):
            if key in options:
                settings[key] = display(options[key]) or ""
        return FrameworkConfig(
            framework=self.name,
            root=root,
            migrations_dir=glob_dir(globs[0]),
            dialect=dialect_of(kind)
            or (
                dialect_from_dependencies(repo.npm_dependencies(join(root, "package.json")))
                if kind is None
                else None
            ),
            database_url=self._url(repo, options, kind),
            config_files=(source,) if source else (),
            settings=settings,
        )

    def _migration_globs(
        self, repo: RepoFacts, source: str, root: str, options: dict[str, JsValue]
    ) -> tuple[list[str], dict[str, str]]:
        value = options.get("migrations")
        items = value if isinstance(value, list) else [] if value is None else [value]
        folder, settings = folder_of(source), dict[str, str]()
        module_imports = (
            imports(config_module(repo, source, "TypeORM")) if source.endswith(_SOURCE_EXT) else {}
        )
        globs: list[str] = []
        for item in items:
            if isinstance(item, str):
                path = config_path(item, folder, root)
                if not repo.path(glob_dir(path)).is_dir():
                    path = self._source_twin(repo, path, root, settings)
                globs.append(path)
            elif isinstance(item, JsExpr) and item.text in module_imports:
                spec = module_imports[item.text]
                if spec.startswith("."):
                    globs.append(join(folder, spec) + ".*s")
        if not globs:
            raise ConfigError(
                f"{source}:1: no migrations option TypeORM can load",
                "add `migrations: ['src/migrations/*.ts']` to the DataSource options",
            )
        settings["migrations"] = ", ".join(globs)
        return globs, settings

    def _source_twin(self, repo: RepoFacts, path: str, root: str, settings: dict[str, str]) -> str:
        """`dist/migrations/*.js` before a build: read the TypeScript sources they come from."""
        prefix = "" if root == "." else root + "/"
        rest = path[len(prefix) :]
        for built in ("dist/", "build/", "out/"):
            if rest.startswith(built):
                twin = join(root, "src/" + rest[len(built) :])
                if repo.path(glob_dir(twin)).is_dir():
                    settings["note"] = f"{path} is build output; reading {twin} instead"
                    return re.sub(r"\.js\b", ".ts", twin)
        return path

    def _url(self, repo: RepoFacts, options: dict[str, JsValue], kind: JsValue) -> str | None:
        if options.get("url") is not None:
            return redact(display(options["url"]) or "")
        if dialect_of(kind) == "sqlite":
            return f"sqlite:{display(options.get('database')) or ''}"
        if not any(k in options for k in ("host", "database", "username")):
            return None
        return build_url(
            display(kind) or "db",
            display(options.get("username")),
            options.get("password"),
            display(options.get("host")),
            display(options.get("port")),
            display(options.get("database")),
        )

    # -- history -------------------------------------------------------------------------
    def _files(self, repo: RepoFacts, config: FrameworkConfig) -> list[str]:
        found: list[str] = []
        for pattern in config.settings.get("migrations", config.migrations_dir).split(", "):
            base = glob_dir(pattern)
            if not repo.path(base).is_dir():
                raise missing_dir(
                    base,
                    self.title,
                    "create it with `npx typeorm migration:"
                    "create <dir>/Name`, or fix the DataSource migrations option",
                )
            regex = glob_regex(pattern)
            found += [f for f in repo.under(base) if regex.match(f) and not f.endswith(".d.ts")]
        return sorted(dict.fromkeys(found))

    def history(self, repo: RepoFacts, config: FrameworkConfig) -> History:
        loaded: list[_Migration] = []
        warnings: list[HistoryWarning] = []
        for path in self._files(repo, config):
            file = path.rsplit("/", 1)[-1]
            exported = [c for c in classes(migration_module(repo, path, "TypeORM")) if c.exported]
            if not exported:
                warnings.append(
                    HistoryWarning("exports no migration class; TypeORM skips it", path)
                )
                continue
            file_match = _FILE.match(file)
            if not file_match:
                warnings.append(
                    HistoryWarning(
                        f"irregular name {file!r}: expected <13-digit timestamp>-<Name>.ts", path
                    )
                )
            for cls in exported:
                stamp = _CLASS_STAMP.search(cls.name)
                if not stamp:
                    raise HistoryError(
                        f"{path}:{cls.line}: migration class {cls.name} has no 13-digit "
                        "timestamp at the end of its name",
                        f"rename it to {cls.name}<ms timestamp>; TypeORM refuses to load it",
                    )
                if "up" not in cls.methods:
                    raise HistoryError(
                        f"{path}:{cls.line}: migration class {cls.name} has no up method",
                        f"add `public async up(queryRunner)` to {cls.name}",
                    )
                if "down" not in cls.methods:
                    warnings.append(
                        HistoryWarning(
                            "up without down: this migration cannot be reverted", path, cls.line
                        )
                    )
                if file_match and file_match[1] != stamp[1]:
                    warnings.append(
                        HistoryWarning(
                            f"timestamp mismatch: class {cls.name} has {stamp[1]} but the file "
                            f"name has {file_match[1]}; TypeORM orders by the class name",
                            path,
                            cls.line,
                        )
                    )
                name = cls.properties.get("name")
                ident = name if isinstance(name, str) else cls.name
                ref = MigrationRef(
                    id=ident,
                    path=path,
                    name=cls.name[:-13] or cls.name,
                    has_down="down" in cls.methods,
                )
                loaded.append(_Migration(ref, int(stamp[1]), cls.line))
        self._check_duplicates(loaded, warnings)
        loaded.sort(key=lambda m: m.stamp)
        return linear_history([m.ref for m in loaded], warnings)

    def _check_duplicates(self, loaded: list[_Migration], warnings: list[HistoryWarning]) -> None:
        names: dict[str, _Migration] = {}
        stamps: dict[int, _Migration] = {}
        for item in loaded:
            if item.ref.id in names:
                raise HistoryError(
                    f"{item.ref.path}:{item.line}: duplicate migration {item.ref.id} (also in "
                    f"{names[item.ref.id].ref.path})",
                    "rename one of them; TypeORM refuses duplicate migration names",
                )
            names[item.ref.id] = item
            if item.stamp in stamps:
                warnings.append(
                    HistoryWarning(
                        f"duplicate timestamp {item.stamp} (also {stamps[item.stamp].ref.path}); "
                        "their order is the order TypeORM happens to load them",
                        item.ref.path,
                        item.line,
                    )
                )
            stamps[item.stamp] = item

    def next_name(
        self,
        repo: RepoFacts,
        config: FrameworkConfig,
        history: History,
        description: str,
        now: datetime,
    ) -> str:
        """`<dir>/<ms>-<PascalName>.ts`, as `typeorm migration:create <dir>/<Name>` names it.

        The class inside is `<PascalName><ms>`; the stamp steps past the newest migration so
        the new class sorts last.
        """
        ms = stamp_ms(now)
        newest = [
            int(s[1])
            for m in history.migrations
            if (s := _CLASS_STAMP.search(m.id) or _FILE.match(m.path.rsplit("/", 1)[-1]))
        ]
        if newest and ms <= max(newest):
            ms = max(newest) + 1
        ext = usual_extension([m.path for m in history.migrations], "ts")
        return f"{config.migrations_dir}/{ms}-{pascal(description)}.{ext}"


ADAPTER = TypeOrm()
