"""A table to backfill, a watch on its updates, and a switch that makes one batch fail.

`mw_items` (id 1..ROWS, n = id, label NULL) is backfilled with `label = 'item?$-' || n` where
`n % 7 <> 0` (the `?`, `$`, `%` and the `:v` literal check each host's escaping). A trigger logs every
updated row in `mw_log` inside the updating transaction, so a batch that fails leaves no log
rows, and `mw_log` ends with exactly one row per row changed when no batch was done twice.
While `mw_fail` holds a row, updating row FAIL_ID raises: that is the interruption (a batch
dies half-way, as when the runner is killed), and deleting the row lets the re-run through.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from migwright.tools import ops as o

ROWS = 2000
BATCH = 100
FAIL_ID = 1234
PREFIX = "item?$-"
EXPRESSION = f"'{PREFIX}' || n::text"
WHERE = "n % 7 <> 0 and (label is null or label <> 'k:v')"
#: Rows the backfill must change (n % 7 <> 0).
NEEDED = sum(1 for n in range(1, ROWS + 1) if n % 7)


def backfill_op(table: str = "mw_items", batch: int = BATCH) -> o.Backfill:
    return o.Backfill(table, "label", EXPRESSION, WHERE, batch_size=batch)


_TABLES = {
    "mw_items": "CREATE TABLE mw_items (id integer PRIMARY KEY, n integer NOT NULL, "
    "label varchar(40))",
    "mw_pairs": "CREATE TABLE mw_pairs (a integer NOT NULL, b varchar(10) NOT NULL, "
    "n integer NOT NULL, label varchar(40), PRIMARY KEY (a, b))",
}

_PG_WATCH = """
CREATE FUNCTION mw_watch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.n = {fail} AND EXISTS (SELECT 1 FROM mw_fail) THEN
    RAISE EXCEPTION 'mw: interrupted';
  END IF;
  INSERT INTO mw_log VALUES (NEW.n);
  RETURN NEW;
END $$;
CREATE TRIGGER mw_watch BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION mw_watch()
"""

_MYSQL_WATCH = """
CREATE TRIGGER mw_watch_{table} BEFORE UPDATE ON {table} FOR EACH ROW BEGIN
  IF NEW.n = {fail} AND EXISTS (SELECT 1 FROM mw_fail) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mw: interrupted';
  END IF;
  INSERT INTO mw_log VALUES (NEW.n);
END
"""

_SQLITE_WATCH = (
    "CREATE TRIGGER mw_stop_{table} BEFORE UPDATE ON {table} "
    "WHEN NEW.n = {fail} AND EXISTS (SELECT 1 FROM mw_fail) "
    "BEGIN SELECT RAISE(ABORT, 'mw: interrupted'); END",
    "CREATE TRIGGER mw_log_{table} AFTER UPDATE ON {table} "
    "BEGIN INSERT INTO mw_log VALUES (NEW.n); END",
)


def prepare(engine: Engine, table: str = "mw_items") -> None:
    """Create `table` with ROWS rows, the log, the switch and the watching trigger."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        conn.execute(text(_TABLES[table]))
        conn.execute(text("CREATE TABLE mw_log (n integer NOT NULL)"))
        conn.execute(text("CREATE TABLE mw_fail (x integer)"))
        if table == "mw_items":
            rows = [{"id": i, "n": i} for i in range(1, ROWS + 1)]
            conn.execute(text("INSERT INTO mw_items (id, n) VALUES (:id, :n)"), rows)
        else:  # two rows per `a`, so the batches cut through a value of the first key column
            pairs = [{"a": (i + 1) // 2, "b": f"k{i % 2}", "n": i} for i in range(1, ROWS + 1)]
            conn.execute(text("INSERT INTO mw_pairs (a, b, n) VALUES (:a, :b, :n)"), pairs)
        if dialect == "postgresql":
            conn.execute(text(_PG_WATCH.format(table=table, fail=FAIL_ID)))
        elif dialect in ("mysql", "mariadb"):
            conn.execute(text(_MYSQL_WATCH.format(table=table, fail=FAIL_ID)))
        else:
            for statement in _SQLITE_WATCH:
                conn.execute(text(statement.format(table=table, fail=FAIL_ID)))


def interrupt(engine: Engine, on: bool) -> None:
    """Make the batch holding row FAIL_ID fail (on) or let it through (off)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM mw_fail"))
        if on:
            conn.execute(text("INSERT INTO mw_fail VALUES (1)"))


def logged(engine: Engine) -> tuple[int, int]:
    """(updates logged, distinct rows among them)."""
    with engine.connect() as conn:
        row = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT n) FROM mw_log")).one()
    return int(row[0]), int(row[1])


def wrong_rows(
    engine: Engine, table: str = "mw_items", prefix: str = PREFIX
) -> list[tuple[int, str | None]]:
    """Rows whose label is not what the backfill promises (first ten)."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT n, label FROM {table} ORDER BY n")).all()
    wrong = []
    for n, label in rows:
        expected = f"{prefix}{n}" if n % 7 else None
        if label != expected:
            wrong.append((int(n), label))
    return wrong[:10]


def key_order(table: str = "mw_items") -> list[int]:
    """The `n` of each row in primary key order."""
    if table == "mw_items":
        return list(range(1, ROWS + 1))
    pairs = sorted(((i + 1) // 2, f"k{i % 2}", i) for i in range(1, ROWS + 1))
    return [n for _, _, n in pairs]


def expected_batches(table: str = "mw_items", batch: int = BATCH) -> tuple[int, int]:
    """(ranges the whole run takes, pending rows in the ranges before the one with FAIL_ID).

    Ranges are `batch` keys wide and start at the first pending row."""
    order = key_order(table)
    start = next(i for i, n in enumerate(order) if n % 7)
    failing = (order.index(FAIL_ID) - start) // batch
    before = order[start : start + failing * batch]
    return -(-(len(order) - start) // batch), sum(1 for n in before if n % 7)


def assert_partial(engine: Engine, error: str = "", table: str = "mw_items") -> int:
    """After an interrupted run: exactly the ranges before the failing one committed, and no
    row twice."""
    count, distinct = logged(engine)
    assert count == distinct, f"{count - distinct} rows updated twice"
    said = f"; the run failed with: {error}" if error else ""
    committed = expected_batches(table)[1]
    assert count == committed, f"{count} rows committed before the failure, not {committed}{said}"
    assert 0 < count < NEEDED, f"{count} of {NEEDED} rows committed"
    return count


def assert_complete(engine: Engine, table: str = "mw_items", prefix: str = PREFIX) -> None:
    """After the re-run: every row right, and each changed row updated exactly once."""
    wrong = wrong_rows(engine, table, prefix)
    assert wrong == [], f"rows not as the backfill promised (n, label): {wrong}"
    count, distinct = logged(engine)
    assert distinct == NEEDED, f"{distinct} rows changed, not {NEEDED}"
    assert count == NEEDED, f"{count - NEEDED} row updates were redone by the re-run"
