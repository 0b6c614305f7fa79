"""A batched backfill against one UPDATE of the same rows, on PostgreSQL, under a write load.

A table of `--rows` rows (id bigint primary key, n, label NULL, touched; filled with
generate_series, then VACUUM ANALYZE and CHECKPOINT) is backfilled with
`label = 'item-' || n::text` three ways, each on a fresh copy of the table:

  single:  `UPDATE t SET label = ...` over the whole table, one transaction (what a plain
           migration does);
  client:  the loop the framework renderers write (tools/backfill.py's four statements, driven
           from Python over SQLAlchemy in autocommit: one commit per batch), the way Alembic's,
           Django's, Knex's ... migrations run it;
  do:      the same batches in one PostgreSQL DO block with COMMIT after each
           (`backfill.pg_do_block`), no round trips.

The batch size is calibrated first so that one batch takes about `--batch-ms` (20 ms): a few
batches of 1000 rows on a scratch copy, then size = 1000 * budget / measured.

During each run a writer process does single-row updates (`touched = touched + 1` on a random
id of the same table, what the application keeps doing) at a fixed rate (open loop: latency is
measured from the moment the write was due, so a stalled writer is not hidden by sending less).
Reported per run: seconds, rows/s, rows/s relative to single (goal >= 0.8), and the writer's
p50 / max latency, the writes slower than 50 ms and the wall time during which some write was
stalled for more than 50 ms.

Run by hand (needs the local PostgreSQL): `.venv/bin/python benchmarks/backfill_bench.py
[--rows 1000000] [--batch-ms 20] [--rate 100]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

from migwright.tools import backfill
from migwright.tools import ops as o
from migwright.tools.dialects import get as get_dialect
from migwright.tools.introspect import introspect
from migwright.tools.scratch import create_scratch, server_reachable

EXPRESSION = "'item-' || n::text"
STALL_MS = 50.0


@dataclass
class Writes:
    """Latencies of the writer's updates: (due time, finish time) pairs in seconds."""

    spans: list[tuple[float, float]] = field(default_factory=list)

    def latencies_ms(self) -> list[float]:
        return [(end - due) * 1000 for due, end in self.spans]

    def stalled_seconds(self) -> float:
        """Wall time covered by writes that took longer than STALL_MS (overlaps counted once)."""
        slow = sorted((due, end) for due, end in self.spans if (end - due) * 1000 > STALL_MS)
        total, current_start, current_end = 0.0, None, None
        for due, end in slow:
            if current_end is None or due > current_end:
                if current_end is not None and current_start is not None:
                    total += current_end - current_start
                current_start, current_end = due, end
            else:
                current_end = max(current_end, end)
        if current_end is not None and current_start is not None:
            total += current_end - current_start
        return total


class Writer:
    """Single-row updates at `rate` per second on random ids, in a process of its own (so the
    client loop's Python does not share a GIL with it), until stopped."""

    def __init__(self, url: str, table: str, rows: int, rate: float) -> None:
        self.stop = multiprocessing.Event()
        self.queue: multiprocessing.Queue[list[tuple[float, float]]] = multiprocessing.Queue()
        args = (url, table, rows, rate, self.stop, self.queue)
        self.process = multiprocessing.Process(target=_write, args=args, daemon=True)
        self.writes = Writes()

    def start(self) -> None:
        self.process.start()

    def finish(self) -> None:
        self.stop.set()
        self.writes = Writes(self.queue.get(timeout=60))
        self.process.join()


def _write(url: str, table: str, rows: int, rate: float, stop: Any, queue: Any) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    interval = 1.0 / rate
    rng = random.Random(7)
    spans: list[tuple[float, float]] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        sql = f"UPDATE {table} SET touched = touched + 1 WHERE id = %s"
        due = time.perf_counter()
        while not stop.is_set():
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            conn.execute(sql, (rng.randint(1, rows),))
            spans.append((due, time.perf_counter()))
            due += interval
    queue.put(spans)


def fill(engine: Engine, table: str, rows: int) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(
            text(
                f"CREATE TABLE {table} (id bigint PRIMARY KEY, n integer NOT NULL, label text, "
                "touched integer NOT NULL DEFAULT 0)"
            )
        )
        conn.execute(
            text(f"INSERT INTO {table} (id, n) SELECT g, g FROM generate_series(1, :rows) g"),
            {"rows": rows},
        )
        conn.execute(text(f"VACUUM ANALYZE {table}"))
        conn.execute(text("CHECKPOINT"))


def batch_sql(engine: Engine, table: str, size: int) -> tuple[o.Backfill, backfill.BatchSQL]:
    op = o.Backfill(table, "label", EXPRESSION, batch_size=size)
    schema = introspect(engine)
    return op, backfill.batch_sql(get_dialect("postgresql"), op, schema, size, "named")


def run_client(engine: Engine, b: backfill.BatchSQL) -> int:
    """The generated loop, in Python: one autocommitted UPDATE per batch."""
    batches = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        lo = conn.execute(text(b.first)).first()
        while lo is not None:
            keys = {f"lo_{i}": v for i, v in enumerate(lo)}
            nx = conn.execute(text(b.bound), keys).first()
            if nx is None:
                conn.execute(text(b.tail), keys)
            else:
                conn.execute(text(b.update), {**keys, **{f"nx_{i}": v for i, v in enumerate(nx)}})
            batches += 1
            lo = nx
    return batches


def calibrate(engine: Engine, budget_ms: float) -> tuple[int, float]:
    """A batch size whose batch takes about `budget_ms`, and the ms measured at 1000 rows."""
    fill(engine, "bench_calibrate", 200_000)
    _, b = batch_sql(engine, "bench_calibrate", 1000)
    times = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        lo = conn.execute(text(b.first)).first()
        for _ in range(60):
            if lo is None:
                break
            started = time.perf_counter()
            nx = conn.execute(text(b.bound), {"lo_0": lo[0]}).first()
            if nx is None:
                break
            conn.execute(text(b.update), {"lo_0": lo[0], "nx_0": nx[0]})
            times.append((time.perf_counter() - started) * 1000)
            lo = nx
        conn.execute(text("DROP TABLE bench_calibrate"))
    per_1000 = statistics.median(times[10:])  # the first batches warm the cache
    size = max(100, int(round(1000 * budget_ms / per_1000, -2)))
    return size, per_1000


def measure(engine: Engine, how: str, rows: int, size: int, rate: float) -> dict[str, Any]:
    table = f"bench_{how}"
    fill(engine, table, rows)
    op, b = batch_sql(engine, table, size)
    writer = Writer(engine.url.render_as_string(hide_password=False), table, rows, rate)
    writer.start()
    time.sleep(1.0)  # the writer's baseline before the backfill starts
    started = time.perf_counter()
    batches = 1
    if how == "idle":  # no backfill: the writer's own latency on this machine
        time.sleep(3.0)
    elif how == "single":
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET label = {EXPRESSION}"))
    elif how == "client":
        batches = run_client(engine, b)
    else:
        block = backfill.pg_do_block(get_dialect("postgresql"), op, introspect(engine), size)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(block))
    seconds = time.perf_counter() - started
    time.sleep(0.5)
    writer.finish()
    with engine.connect() as conn:
        wrong = conn.execute(
            text(f"SELECT COUNT(*) FROM {table} WHERE label IS DISTINCT FROM {EXPRESSION}")
        ).scalar_one()
    assert how == "idle" or wrong == 0, f"{how}: {wrong} rows not backfilled"
    lat = writer.writes.latencies_ms()
    return {
        "how": how,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "batches": batches if how != "do" else -(-rows // size),
        "writes": len(lat),
        "p50_ms": statistics.median(lat),
        "max_ms": max(lat),
        "slow_writes": sum(1 for v in lat if v > STALL_MS),
        "stalled_s": writer.writes.stalled_seconds(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-ms", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=100.0, help="writer updates per second")
    args = parser.parse_args(argv)
    why = server_reachable("postgresql")
    if why is not None:
        raise SystemExit(f"PostgreSQL is not reachable: {why}")
    with create_scratch("postgresql") as db:
        engine = create_engine(db.url, pool_size=4)
        size, per_1000 = calibrate(engine, args.batch_ms)
        print(f"calibration: {per_1000:.1f} ms per batch of 1000 -> batch size {size}")
        runs = ("idle", "single", "client", "do")
        results = [measure(engine, how, args.rows, size, args.rate) for how in runs]
        engine.dispose()
    single = results[1]["rows_per_s"]
    print(
        f"\n{args.rows:,} rows, batch size {size} (~{args.batch_ms:g} ms), "
        f"writer at {args.rate:g} updates/s on random rows of the same table\n"
    )
    head = (
        f"{'run':<8}{'seconds':>9}{'rows/s':>11}{'vs single':>11}{'batches':>9}"
        f"{'ms/batch':>10}{'writes':>8}{'p50 ms':>8}{'max ms':>9}{'>50ms':>7}{'stalled s':>11}"
    )
    print(head)
    for r in results:
        if r["how"] == "idle":
            print(
                f"{'idle':<8}{'':>9}{'':>11}{'':>11}{'':>9}{'':>10}{r['writes']:>8}"
                f"{r['p50_ms']:>8.1f}{r['max_ms']:>9.0f}{r['slow_writes']:>7}{r['stalled_s']:>11.2f}"
            )
            continue
        per_batch = r["seconds"] * 1000 / r["batches"]
        print(
            f"{r['how']:<8}{r['seconds']:>9.2f}{r['rows_per_s']:>11,.0f}"
            f"{r['rows_per_s'] / single:>11.2f}{r['batches']:>9}{per_batch:>10.1f}"
            f"{r['writes']:>8}{r['p50_ms']:>8.1f}{r['max_ms']:>9.0f}{r['slow_writes']:>7}"
            f"{r['stalled_s']:>11.2f}"
        )


if __name__ == "__main__":
    main()
