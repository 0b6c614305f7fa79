"""snapshot() and compare() on real databases: what must keep a checksum and what must not.

Same data keeps its checksums whatever spells it (another dialect, a wider type, a rebuilt
table); one changed value moves exactly its column's checksum; a dropped column is reported
against that column, as declared when the plan dropped it on purpose.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from migwright.tools import datacheck
from migwright.tools import ops as o
from migwright.tools.datacheck import (
    DataDifference,
    column_values,
    compare,
    declared_changes,
    json_text,
    render_value,
    snapshot,
)
from migwright.tools.datacheck_render import render_cells
from migwright.tools.errors import IntrospectionError
from migwright.tools.schema import Column as C
from migwright.tools.schema import EnumType, Schema, Table
from migwright.tools.scratch import ScratchDatabase
from migwright.tools.seed import seed
from migwright.tools.seed_load import Loader
from migwright.tools.sql import render

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _apply(engine: Engine, ops: list[o.Operation], before: Schema, dialect: str) -> Schema:
    with engine.begin() as conn:
        for statement in render(ops, before, dialect):
            conn.exec_driver_sql(statement.sql)
    return o.apply_all(ops, before)


def _run(engine: Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)


# ---------------------------------------------------------------------------------------------
# Same data, different spellings
# ---------------------------------------------------------------------------------------------

FACTS = Table(
    "facts",
    (
        C("id", "integer", False),
        C("n", "bigint"),
        C("amount", "numeric(10,2)"),
        C("flag", "boolean"),
        C("day", "date"),
        C("at", "timestamp"),
        C("at_tz", "timestamptz"),
        C("wake", "time"),
        C("doc", "json"),
        C("token", "uuid"),
        C("raw", "blob"),
        C("label", "varchar(40)"),
        C("body", "text"),
        C("mood", "mood"),
    ),
    ("id",),
)
FACT_ROWS: list[tuple[Any, ...]] = [
    (
        1,
        5,
        Decimal("1.50"),
        True,
        dt.date(2020, 2, 29),
        dt.datetime(2021, 3, 28, 2, 30),
        dt.datetime(2021, 10, 31, 2, 30, fold=1, tzinfo=BERLIN),
        dt.time(23, 59, 59, 999999),
        '{"b": 1, "aa": [1, 2.5, null], "é": "ü\\n", "nested": {"z": true, "a": {}}}',
        str(uuid.UUID(int=7)),
        b"\x00\xff\\",
        "Zoë 'quoted'",
        "東京 🎉 " * 50,
        "sad",
    ),
    (
        2,
        -(2**63),
        Decimal("-0.05"),
        False,
        dt.date(1000, 1, 1),
        None,
        None,
        None,
        "[]",
        None,
        b"",
        "",
        "",
        None,
    ),
    (
        3,
        None,
        Decimal("0.00"),
        None,
        None,
        dt.datetime(1970, 1, 1),
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        dt.time(0, 0),
        '"just a string"',
        None,
        None,
        None,
        None,
        "happy",
    ),
]


def _facts(db: ScratchDatabase) -> Schema:
    schema = _apply(
        db.engine(),
        [o.CreateEnum(EnumType("mood", ("happy", "sad"))), o.CreateTable(FACTS)],
        Schema(),
        db.dialect,
    )
    with db.engine().connect() as conn:
        loader = Loader(conn, db.dialect)
        assert loader.insert("facts", FACTS.column_names, FACT_ROWS, 100) == []
        loader.commit()
    return schema


@pytest.mark.postgres
@pytest.mark.mysql
def test_same_data_same_checksums_on_every_dialect(
    sqlite_scratch: ScratchDatabase, pg_scratch: ScratchDatabase, mysql_scratch: ScratchDatabase
) -> None:
    """Portable snapshots (MD5 everywhere) agree across dialects, which proves every database
    renders the same canonical text; fast ones agree where the hash is shared (the CRC-32
    value sums of SQLite and MySQL)."""
    schemas = {db.dialect: (db, _facts(db)) for db in (sqlite_scratch, pg_scratch, mysql_scratch)}
    portable = {d: snapshot(db.engine(), s, portable=True) for d, (db, s) in schemas.items()}
    fast = {d: snapshot(db.engine(), s) for d, (db, s) in schemas.items()}
    methods = {d: s.table("facts").method for d, s in portable.items()}
    assert methods == {"sqlite": "python", "postgresql": "sql", "mysql": "python"}
    assert {d: s.table("facts").scheme for d, s in fast.items()} == {
        "sqlite": "ordered",
        "postgresql": "hashtext",
        "mysql": "crc32",
    }
    reference = portable["postgresql"].table("facts")
    for dialect, snap in portable.items():
        facts = snap.table("facts")
        assert facts.rows == 3 and facts.scheme == "md5"
        for column, checksum in reference.columns.items():
            assert facts.columns[column] == checksum, (dialect, column)
        assert facts.checksum == reference.checksum, dialect
    for column, checksum in fast["mysql"].table("facts").columns.items():
        assert fast["sqlite"].table("facts").columns[column].values == checksum.values, column
    assert fast["postgresql"].table("facts").columns != reference.columns
    with pytest.raises(IntrospectionError, match="different hashes"):
        compare(portable["sqlite"], fast["sqlite"])


@pytest.mark.postgres
@pytest.mark.mysql
def test_database_and_python_checksums_agree(
    sqlite_scratch: ScratchDatabase, pg_scratch: ScratchDatabase, mysql_scratch: ScratchDatabase
) -> None:
    """MySQL computes a table without JSON in SQL and one with JSON in Python: a migration that
    adds or drops a JSON column moves the table from one to the other, so both must agree
    (and their value sums agree with SQLite's, which shares the hash); in portable mode MySQL's
    SQL must also match PostgreSQL's."""
    plain = Table("plain", tuple(c for c in FACTS.columns if c.name != "doc"), ("id",))
    schema = Schema((plain,), (EnumType("mood", ("happy", "sad")),))
    rows = [
        tuple(v for v, c in zip(r, FACTS.columns, strict=True) if c.name != "doc")
        for r in FACT_ROWS
    ]
    result = {}
    for db in (sqlite_scratch, pg_scratch, mysql_scratch):
        _apply(
            db.engine(), [o.CreateEnum(schema.enums[0]), o.CreateTable(plain)], Schema(), db.dialect
        )
        with db.engine().connect() as conn:
            loader = Loader(conn, db.dialect)
            assert loader.insert("plain", plain.column_names, rows, 100) == []
            loader.commit()
        result[db.dialect] = snapshot(db.engine(), schema).table("plain")
        result[db.dialect + "-portable"] = snapshot(db.engine(), schema, portable=True).table(
            "plain"
        )
    assert result["mysql"].method == result["mysql-portable"].method == "sql"
    assert result["mysql-portable"].columns == result["postgresql-portable"].columns
    assert result["mysql-portable"].checksum == result["postgresql-portable"].checksum
    for column, checksum in result["mysql"].columns.items():
        assert result["sqlite"].columns[column].values == checksum.values, column
    facts = _facts(mysql_scratch)
    in_python = snapshot(mysql_scratch.engine(), facts).table("facts")
    assert in_python.method == "python"
    for column in plain.column_names:
        assert in_python.columns[column] == result["mysql"].columns[column], column


# ---------------------------------------------------------------------------------------------
# Before and after a migration, on every dialect
# ---------------------------------------------------------------------------------------------

WIDGETS = Table(
    "widgets",
    (
        C("id", "integer", False),
        C("n", "integer", False),
        C("amount", "numeric(10,2)"),
        C("name", "varchar(20)"),
        C("made", "timestamp"),
    ),
    ("id",),
)


def _widgets(db: ScratchDatabase) -> Schema:
    schema = _apply(db.engine(), [o.CreateTable(WIDGETS)], Schema(), db.dialect)
    seed(db.engine(), schema, rows=200, seed=9)
    return schema


def test_a_widened_type_keeps_the_checksum(scratch: ScratchDatabase, dialect: str) -> None:
    before_schema = _widgets(scratch)
    before = snapshot(scratch.engine(), before_schema)
    widen = [
        o.AlterColumn("widgets", "n", type="bigint"),
        o.AlterColumn("widgets", "amount", type="numeric(14,4)"),
        o.AlterColumn("widgets", "name", type="text"),
        o.AlterColumn("widgets", "made", type="timestamptz"),
    ]
    after_schema = _apply(scratch.engine(), widen, before_schema, dialect)
    after = snapshot(scratch.engine(), after_schema)
    assert compare(before, after, declared_changes(widen, before_schema)) == []
    assert after.table("widgets").checksum == before.table("widgets").checksum


def test_an_update_of_one_row_is_attributed_to_its_column(
    scratch: ScratchDatabase, dialect: str
) -> None:
    schema = _widgets(scratch)
    before = snapshot(scratch.engine(), schema)
    _run(scratch.engine(), "UPDATE widgets SET name = 'changed' WHERE id = 7")
    after = snapshot(scratch.engine(), schema)
    found = compare(before, after)
    assert [(d.table, d.column, d.kind, d.declared) for d in found] == [
        ("widgets", "name", "values", False)
    ]
    declared = declared_changes([o.Backfill("widgets", "name", "'changed'")], schema)
    assert [d.declared for d in compare(before, after, declared)] == [True]
    assert after.table("widgets").checksum != before.table("widgets").checksum


def test_a_dropped_column_is_reported_against_the_column(
    scratch: ScratchDatabase, dialect: str
) -> None:
    schema = _widgets(scratch)
    before = snapshot(scratch.engine(), schema)
    drop = [o.DropColumn("widgets", "amount")]
    after = snapshot(scratch.engine(), _apply(scratch.engine(), drop, schema, dialect))
    expected = DataDifference("widgets", "amount", "column_missing", declared=True)
    assert compare(before, after, declared_changes(drop, schema)) == [expected]
    undeclared = compare(before, after)
    assert [(d.column, d.kind, d.declared) for d in undeclared] == [
        ("amount", "column_missing", False)
    ]
    assert "widgets.amount: column is gone" in undeclared[0].describe()


def test_renames_are_followed(sqlite_scratch: ScratchDatabase) -> None:
    schema = _widgets(sqlite_scratch)
    before = snapshot(sqlite_scratch.engine(), schema)
    plan = [o.RenameColumn("widgets", "name", "title"), o.RenameTable("widgets", "gadgets")]
    after_schema = _apply(sqlite_scratch.engine(), plan, schema, "sqlite")
    after = snapshot(sqlite_scratch.engine(), after_schema)
    assert compare(before, after, declared_changes(plan, schema)) == []
    lost = compare(before, after)
    assert [(d.table, d.kind) for d in lost] == [("widgets", "table_missing")]


@pytest.mark.parametrize("portable", [False, True], ids=["native", "portable"])
def test_values_moved_between_rows_are_caught(
    scratch: ScratchDatabase, dialect: str, portable: bool
) -> None:
    """Two rows swap equal-length values: the multiset of values is the same, so only the
    keyed checksum can see it (and with a linear hash like CRC-32 only a non-linear sum does)."""
    engine = scratch.engine()
    schema = _widgets(scratch)
    with engine.connect() as conn:
        first, second = conn.exec_driver_sql("SELECT id FROM widgets ORDER BY id LIMIT 2").scalars()
    _run(engine, f"UPDATE widgets SET name = 'a-name' WHERE id = {first}")
    _run(engine, f"UPDATE widgets SET name = 'b-name' WHERE id = {second}")
    before = snapshot(engine, schema, portable=portable)
    _run(
        engine,
        f"UPDATE widgets SET name = CASE id WHEN {first} THEN 'b-name' ELSE 'a-name' END "
        f"WHERE id IN ({first}, {second})",
    )
    after = snapshot(engine, schema, portable=portable)
    old, new = before.table("widgets").columns["name"], after.table("widgets").columns["name"]
    assert old.values == new.values and old.keyed != new.keyed
    assert [(d.column, d.kind) for d in compare(before, after)] == [("name", "values")]


@pytest.mark.parametrize("portable", [False, True], ids=["native", "portable"])
def test_without_a_primary_key_the_row_checksum_still_sees_a_swap(
    scratch: ScratchDatabase, dialect: str, portable: bool
) -> None:
    engine = scratch.engine()
    table = Table("pairs", (C("a", "integer"), C("b", "text")))
    schema = _apply(engine, [o.CreateTable(table)], Schema(), dialect)
    _run(engine, "INSERT INTO pairs VALUES (1, 'x'), (2, 'y')")
    before = snapshot(engine, schema, portable=portable)
    _run(engine, "UPDATE pairs SET b = CASE b WHEN 'x' THEN 'y' ELSE 'x' END")
    after = snapshot(engine, schema, portable=portable)
    assert before.table("pairs").key == () and before.table("pairs").columns["b"].keyed is None
    assert [(d.table, d.column, d.kind) for d in compare(before, after)] == [
        ("pairs", None, "rows")
    ]
    _run(engine, "DELETE FROM pairs WHERE a = 1")
    shrunk = compare(before, snapshot(engine, schema, portable=portable))
    assert ("pairs", None, "row_count") in [(d.table, d.column, d.kind) for d in shrunk]


def test_batches_do_not_change_checksums(
    sqlite_scratch: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows streamed into Python in batches of any size give the same checksums (the keyed
    streams of SQLite run across batch boundaries)."""
    engine = sqlite_scratch.engine()
    schema = _widgets(sqlite_scratch)
    whole = snapshot(engine, schema)
    monkeypatch.setattr(datacheck, "BATCH", 7)
    assert snapshot(engine, schema) == whole
    assert snapshot(engine, schema, portable=True) != whole  # another scheme altogether


def test_a_key_that_changes_kind_is_compared_by_values(sqlite_scratch: ScratchDatabase) -> None:
    """SQLite's keyed checksums follow the key's order; an integer key turned into text sorts
    10 before 9, so the keyed checksums no longer compare and the values decide."""
    engine = sqlite_scratch.engine()
    table = Table("codes", (C("code", "integer", False), C("label", "text")), ("code",))
    schema = _apply(engine, [o.CreateTable(table)], Schema(), "sqlite")
    values = ", ".join(f"({i}, 'label {i % 3}')" for i in range(1, 13))
    _run(engine, f"INSERT INTO codes VALUES {values}")
    before = snapshot(engine, schema)
    plan = [o.AlterColumn("codes", "code", type="text")]
    after = snapshot(engine, _apply(engine, plan, schema, "sqlite"))
    assert before.table("codes").order == ("integer",)
    assert after.table("codes").order == ("text",)
    assert (
        before.table("codes").columns["label"].keyed != after.table("codes").columns["label"].keyed
    )
    assert compare(before, after, declared_changes(plan, schema)) == []
    _run(engine, "UPDATE codes SET label = 'changed' WHERE code = '5'")
    changed = compare(before, snapshot(engine, o.apply_all(plan, schema)))
    assert [(d.column, d.kind) for d in changed] == [("label", "values")]


def test_snapshot_of_a_missing_column_names_the_table(sqlite_scratch: ScratchDatabase) -> None:
    engine = sqlite_scratch.engine()
    schema = _widgets(sqlite_scratch)
    wrong = schema.with_table(Table("widgets", (*WIDGETS.columns, C("ghost", "text")), ("id",)))
    with pytest.raises(IntrospectionError, match="cannot read the data of widgets"):
        snapshot(engine, wrong)
    only = snapshot(engine, schema, columns={"widgets": ["name"]})
    assert list(only.table("widgets").columns) == ["name"]


def test_column_values_for_reports(scratch: ScratchDatabase, dialect: str) -> None:
    schema = _facts(scratch)
    facts = schema.table("facts")
    assert column_values(scratch.engine(), facts, "amount") == ["1.5", "-0.05", "0"]
    assert column_values(scratch.engine(), facts, "at_tz", limit=1) == [
        "2021-10-31 01:30:00.000000"
    ]
    docs = column_values(scratch.engine(), facts, "doc")
    assert docs[1:] == ["[]", '"just a string"']
    assert docs[0] is not None and docs[0].startswith('{"b": 1, "aa": [1, 2.5, null], "é"')


# ---------------------------------------------------------------------------------------------
# Declared changes and canonical values, no database
# ---------------------------------------------------------------------------------------------


def test_declared_changes_follow_names_back_to_the_data() -> None:
    before = o.apply_all([o.CreateTable(WIDGETS)], Schema())
    plan = [
        o.RenameTable("widgets", "gadgets"),
        o.RenameColumn("gadgets", "name", "title"),
        o.DropColumn("gadgets", "title"),
        o.AlterColumn("gadgets", "n", type="bigint"),  # widens: not a change
        o.AlterColumn("gadgets", "amount", type="numeric(6,1)"),  # narrows: values may change
        o.RawSQL("UPDATE gadgets SET n = n + 1; DELETE FROM audit WHERE true"),
    ]
    declared = declared_changes(plan, before)
    assert declared.renamed_tables == {"widgets": "gadgets"}
    assert declared.renamed_columns == {("widgets", "name"): "title"}
    assert declared.dropped_columns == {("widgets", "name")}
    assert declared.changed_columns == {("widgets", "amount")}
    assert declared.changed_tables == {"widgets", "audit"}
    assert declared_changes([o.AlterColumn("t", "c", type="bigint")]).changed_columns == {
        ("t", "c")
    }  # without the schema before, a type change may change values


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (Decimal("1.50"), "numeric(10,2)", "1.5"),
        (Decimal("1.5000"), "numeric", "1.5"),
        (Decimal("-0.00"), "numeric", "0"),
        (100, "numeric(10,0)", "100"),
        (2.0, "numeric", "2"),
        ("12.340", "numeric", "12.34"),
        (1e20, "double", "1e+20"),
        (3.0, "double", "3"),
        (1, "boolean", "t"),
        ("false", "boolean", "f"),
        ("2021-03-28 03:00:00+02:00", "timestamptz", "2021-03-28 01:00:00.000000"),
        (dt.datetime(999, 1, 2, 3, 4, 5, 6), "timestamp", "0999-01-02 03:04:05.000006"),
        (dt.timedelta(hours=25, seconds=1), "time", "01:00:01.000000"),
        (
            '{"bb": 1, "a": [1.50, {"y": null, "x": false}]}',
            "jsonb",
            '{"a": [1.50, {"x": false, "y": null}], "bb": 1}',
        ),
        (b"\x00\xff", "blob", "00ff"),
        ("ABC-uuid", "uuid", "abc-uuid"),
        (None, "text", None),
    ],
)
def test_canonical_text(value: Any, kind: str, text: str | None) -> None:
    assert render_value(value, kind) == text


_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, width=64),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.text(max_size=12),
    st.text(max_size=12).map(str.encode),
    st.sampled_from(["2021-03-28 03:00:00+02:00", "2020-02-29", "12:30:00"]),
)


_NUMBERS = st.sampled_from([0, 1, 0.0, -0.0, 1.0, True, False, Decimal("1.0"), "1", b"1"])


@given(
    values=st.one_of(
        st.lists(st.one_of(_CELLS, _NUMBERS), max_size=40),
        st.lists(_NUMBERS, min_size=8, max_size=40),  # repeated values: the memo
    ),
    kind=st.sampled_from(
        [
            "text",
            "integer",
            "numeric",
            "float",
            "boolean",
            "timestamp",
            "timestamptz",
            "date",
            "blob",
        ]
    ),
)
def test_rendering_a_column_at_once_is_rendering_each_value(values: list[Any], kind: str) -> None:
    """The batch shortcuts (text passed through, integers formatted in one go, a memo per
    distinct value) give what `render_value` gives cell by cell, mixed types and -0.0 included."""
    null = b"\xff"
    one_by_one = []
    for value in values:
        if isinstance(value, bytes) and kind != "blob":
            value = value.decode()  # SQLite's text, read as bytes
        text = render_value(value, kind)
        one_by_one.append(null if text is None else text.encode())
    assert list(render_cells(values, kind, null)) == one_by_one


def test_json_text_orders_keys_like_jsonb() -> None:
    assert json_text({"é": 1, "aa": 2, "b": 3}) == '{"b": 3, "aa": 2, "é": 1}'
    assert json_text({"q": 'say "hi"\n'}) == '{"q": "say \\"hi\\"\\n"}'


def test_reserved_words_as_names(sqlite_scratch: ScratchDatabase) -> None:
    engine = sqlite_scratch.engine()
    table = Table("order", (C("id", "integer", False), C("group", "text")), ("id",))
    schema = _apply(engine, [o.CreateTable(table)], Schema(), "sqlite")
    _run(engine, """INSERT INTO "order" VALUES (1, 'a'), (2, NULL)""")
    shot = snapshot(engine, schema)
    assert shot.table("order").rows == 2
    assert shot.to_dict()["tables"][0]["columns"]["group"]["keyed"] is not None
