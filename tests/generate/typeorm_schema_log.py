"""TypeORM's own schema diff of entity classes against a migrated database.

`typeorm schema:log` prints the SQL `synchronize` would run to make the database match the
entities; an entity that matches what the migration created yields none for its table. This
runs the same call (`dataSource.driver.createSchemaBuilder().log()`) through ts-node on the
repo's entity files, against a scratch database, and returns the statements.
"""

from __future__ import annotations

import json
from pathlib import Path

from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks.node import DRIVERS, node_path, run_node
from migwright.tools.frameworks.typeorm_runner import driver_url, sqlite_path
from migwright.tools.scratch import ScratchDatabase

_TYPES = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "better-sqlite3"}

_SCRIPT = """\
require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
require("reflect-metadata");
const { DataSource } = require("typeorm");
const entities = JSON.parse(process.env.MIGWRIGHT_ENTITIES);
const where = process.env.MIGWRIGHT_SQLITE_PATH
    ? { database: process.env.MIGWRIGHT_SQLITE_PATH }
    : { url: process.env.MIGWRIGHT_DATABASE_URL };
const source = new DataSource({ type: process.env.MIGWRIGHT_TYPE, ...where, entities });
source.initialize().then(async () => {
    const log = await source.driver.createSchemaBuilder().log();
    console.log(JSON.stringify(log.upQueries.map((q) => q.query)));
    if (process.env.MIGWRIGHT_SYNC) await source.synchronize();
    await source.destroy();
});
"""


def schema_log(
    repo: Path, entity_files: list[str], db: ScratchDatabase, work: Path, sync: bool = False
) -> list[str]:
    """The statements TypeORM would run to bring `db` in line with the entities; with `sync`,
    TypeORM then runs them (`synchronize`), so a test can compare the schema before and after."""
    work.mkdir(parents=True, exist_ok=True)
    script = work / "schema-log.js"
    script.write_text(_SCRIPT, encoding="utf-8")
    packages = ("typeorm", "ts-node", "typescript", "reflect-metadata", DRIVERS[db.dialect])
    env = {
        "NODE_PATH": node_path(packages),
        "MIGWRIGHT_TYPE": _TYPES[db.dialect],
        "MIGWRIGHT_ENTITIES": json.dumps([str(repo / f) for f in entity_files]),
        **({"MIGWRIGHT_SYNC": "1"} if sync else {}),
    }
    if db.dialect == "sqlite":
        env["MIGWRIGHT_SQLITE_PATH"] = sqlite_path(db)
    else:
        env["MIGWRIGHT_DATABASE_URL"] = driver_url(db)
    done = run_node(
        script,
        [],
        cwd=repo,
        env=env,
        error=ValidationFailed,
        what="typeorm schema log",
        hint="the entities do not load",
    )
    queries: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return queries
