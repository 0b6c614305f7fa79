"""Context for `migwright lint` from what the person gives: a database (read-only) or a stats file.

`--db URL` reads the server version and each table's size from the catalog without changing
anything; `--stats FILE` gives the same facts for a database migwright may not reach (CI),
as JSON `{"version": "14.2", "tables": {"orders": {"rows": 50000000, "bytes": 9000000000}}}`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .lint.base import TableStats, parse_version


def stats_from_file(path: Path) -> tuple[tuple[int, ...] | None, dict[str, TableStats]]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror})", "check the --stats path"
        ) from exc
    except ValueError as exc:
        raise ConfigError(
            f"{path}: not JSON ({exc})", 'write {"tables": {"t": {"rows": 1}}}'
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("tables", {}), dict):
        raise ConfigError(f"{path}: expected an object with a tables object", "see README: lint")
    stats: dict[str, TableStats] = {}
    for table, facts in data.get("tables", {}).items():
        if not isinstance(facts, dict) or not isinstance(facts.get("rows", 0), int):
            raise ConfigError(
                f"{path}: table {table} needs integer rows (and bytes)",
                f'write "{table}": {{"rows": 1000, "bytes": 65536}}',
            )
        stats[table] = TableStats(int(facts.get("rows", 0)), int(facts.get("bytes", 0)))
    version = data.get("version")
    return parse_version(str(version)) if version is not None else None, stats


def stats_from_database(url: str) -> tuple[tuple[int, ...] | None, dict[str, TableStats]]:
    """Server version and table sizes, read-only."""
    from sqlalchemy import create_engine

    from .lint.stats import table_stats
    from .scratch import server_version

    engine = create_engine(url)
    try:
        return server_version(engine), table_stats(engine)
    finally:
        engine.dispose()
