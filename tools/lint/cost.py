"""Size-based severity and time estimates: what no other migration linter does.

A lock on a 300-row table does not matter; the same lock on 3,000,000 rows is an outage
(squawk issue #197). When table sizes are known (`stats.table_stats` reads them from the
catalog), a rule with a `cost` gets its severity from the table's size class and its finding
an estimated duration.

The throughput constants are deliberately conservative figures for a modest server under
load (2-4 cores, SSD, the table not entirely cached, WAL written as usual); they give the order
of magnitude a reviewer needs, not a promise:

- rewrite (PostgreSQL table rewrite, MySQL ALGORITHM=COPY, SQLite rebuild): 64 MiB/s of
  table+index size. Published measurements of VACUUM FULL / pg_repack / ALTER ... COPY land
  between 50 and 150 MB/s; indexes are rebuilt too, so the lower end.
- scan (constraint validation, SET NOT NULL, a type change check): 256 MiB/s sequential read.
- index (CREATE INDEX, ADD UNIQUE / PRIMARY KEY): 500,000 rows/s for a B-tree on one column
  (scan + sort + write); wide or multi-column keys are slower.
- update (a backfill UPDATE in one statement): 20,000 rows/s (new row versions, index
  maintenance, WAL, triggers and foreign keys not counted).
"""

from __future__ import annotations

from .base import Severity, TableStats

SMALL_ROWS = 10_000
SMALL_BYTES = 64 * 1024 * 1024
LARGE_ROWS = 1_000_000
LARGE_BYTES = 1024 * 1024 * 1024

REWRITE_BYTES_PER_SECOND = 64 * 1024 * 1024
SCAN_BYTES_PER_SECOND = 256 * 1024 * 1024
INDEX_ROWS_PER_SECOND = 500_000
UPDATE_ROWS_PER_SECOND = 20_000

COSTS = ("rewrite", "scan", "index", "update", "lock")


def size_class(stats: TableStats) -> str:
    """small (< 10k rows and < 64 MiB), large (> 1M rows or > 1 GiB) or medium."""
    if stats.rows > LARGE_ROWS or stats.bytes > LARGE_BYTES:
        return "large"
    if stats.rows < SMALL_ROWS and stats.bytes < SMALL_BYTES:
        return "small"
    return "medium"


def sized_severity(default: Severity, stats: TableStats | None) -> Severity:
    """Small tables make a note, large ones an error, the rest a warning; unknown: default."""
    if stats is None:
        return default
    return {"small": "note", "medium": "warning", "large": "error"}[size_class(stats)]  # type: ignore[return-value]


def estimate_seconds(cost: str | None, stats: TableStats | None) -> float | None:
    """Expected duration of the locked or rewriting part; None when it cannot be told."""
    if stats is None or cost is None:
        return None
    if cost == "rewrite":
        seconds = stats.bytes / REWRITE_BYTES_PER_SECOND
    elif cost == "scan":
        seconds = stats.bytes / SCAN_BYTES_PER_SECOND
    elif cost == "index":
        seconds = stats.rows / INDEX_ROWS_PER_SECOND
    elif cost == "update":
        seconds = stats.rows / UPDATE_ROWS_PER_SECOND
    else:
        return None
    return round(seconds, 1)


def describe_estimate(seconds: float, stats: TableStats) -> str:
    """`about 2 min for 5,000,000 rows (1.2 GiB)`."""
    if seconds < 1:
        span = "under a second"
    elif seconds < 120:
        span = f"about {seconds:.0f} s"
    elif seconds < 7200:
        span = f"about {seconds / 60:.0f} min"
    else:
        span = f"about {seconds / 3600:.1f} h"
    return f"{span} for {stats.rows:,} rows ({_size(stats.bytes)})"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
