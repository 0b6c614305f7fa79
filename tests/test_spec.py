"""The request grammar: every verb, in each dialect where it applies, to the exact operations;
then the mistakes a person makes, each a one-line SpecError with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from migwright.tools.errors import SpecError
from migwright.tools.ops import (
    KEEP,
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    Backfill,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RawSQL,
    RenameColumn,
    RenameTable,
    apply_all,
)
from migwright.tools.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)
from migwright.tools.spec import ALL_VERBS, GRAMMAR, VERBS, Request, parse_request

DIALECTS = ("postgresql", "mysql", "sqlite")
ROOT = Path(__file__).resolve().parents[1]

SCHEMA = Schema(
    tables=(
        Table(
            "users",
            (Column("id", "bigint", nullable=False, identity=True), Column("email", "text")),
            primary_key=("id",),
        ),
        Table(
            "orders",
            (
                Column("id", "bigint", nullable=False),
                Column("user_id", "bigint"),
                Column("total", "numeric(12,2)"),
                Column("status", "text"),
                Column("note", "text"),
            ),
            primary_key=("id",),
            uniques=(UniqueConstraint("uq_orders_note", ("note",)),),
            indexes=(Index("ix_orders_user_id", ("user_id",)),),
            foreign_keys=(ForeignKey("fk_orders_user_id", ("user_id",), "users", ("id",)),),
            checks=(CheckConstraint("ck_orders_total", "total >= 0"),),
        ),
    )
)


def ops(
    request: str | list[str],
    dialect: str = "postgresql",
    schema: Schema | None = None,
    base_dir: Path | None = None,
) -> list[Operation]:
    return list(
        parse_request(request, dialect=dialect, schema=schema, base_dir=base_dir).operations
    )


def error(request: str | list[str], dialect: str = "postgresql") -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_request(request, dialect=dialect)
    return info.value


# ---------------------------------------------------------------------------------------------
# --create-table
# ---------------------------------------------------------------------------------------------


def test_create_table_postgres_full() -> None:
    [op] = ops(
        '--create-table "users (id bigint generated always as identity primary key, '
        "email text not null unique, org_id bigint references orgs(id) on delete cascade, "
        'check (length(email) > 3))"'
    )
    assert op == CreateTable(
        Table(
            "users",
            (
                Column("id", "bigint", nullable=False, identity=True),
                Column("email", "text", nullable=False),
                Column("org_id", "bigint"),
            ),
            primary_key=("id",),
            uniques=(UniqueConstraint("uq_users_email", ("email",)),),
            foreign_keys=(
                ForeignKey("fk_users_org_id", ("org_id",), "orgs", ("id",), on_delete="CASCADE"),
            ),
            checks=(CheckConstraint("ck_users_email", "length(email) > 3"),),
        )
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_table_table_constraints_every_dialect(dialect: str) -> None:
    [op] = ops(
        [
            "--create-table",
            "create table line_items (order_id bigint, position int, sku varchar(20) not null,"
            " price numeric(10, 2) default 0, constraint pk_x primary key (order_id, position),"
            " unique (sku, order_id), constraint fk_li_order foreign key (order_id)"
            " references orders (id) on delete restrict on update no action,"
            " check (price >= 0))",
        ],
        dialect,
    )
    assert op == CreateTable(
        Table(
            "line_items",
            (
                Column("order_id", "bigint", nullable=False),
                Column("position", "integer", nullable=False),
                Column("sku", "varchar(20)", nullable=False),
                Column("price", "numeric(10,2)", default="0"),
            ),
            primary_key=("order_id", "position"),
            uniques=(UniqueConstraint("uq_line_items_sku_order_id", ("sku", "order_id")),),
            foreign_keys=(
                ForeignKey("fk_li_order", ("order_id",), "orders", ("id",), on_delete="RESTRICT"),
            ),
            checks=(CheckConstraint("ck_line_items_price", "price >= 0"),),
        )
    )


def test_create_table_serial_and_types_postgres() -> None:
    [op] = ops(
        '--create-table "events (id bigserial primary key, parent_id bigint references events,'
        " at timestamp(6) with time zone default now(), score double precision,"
        " tags text[], name character varying(40), mood mood, ratio real comment 'share')\""
    )
    assert isinstance(op, CreateTable)
    table = op.table
    assert table.columns == (
        Column("id", "bigint", nullable=False, identity=True),
        Column("parent_id", "bigint"),
        Column("at", "timestamptz", default="now()"),
        Column("score", "double"),
        Column("tags", "text[]"),
        Column("name", "varchar(40)"),
        Column("mood", "mood"),
        Column("ratio", "real", comment="share"),
    )
    # a self reference without columns points at the table's own primary key
    assert table.foreign_keys == (
        ForeignKey("fk_events_parent_id", ("parent_id",), "events", ("id",)),
    )


def test_create_table_mysql_spellings() -> None:
    [op] = ops(
        '--create-table "`Orders` (id int unsigned auto_increment primary key, '
        "kind enum('Retail','B2B') not null default 'Retail', flag tinyint(1) not null default 0,"
        " created_at datetime, key ix_kind (kind), unique key uq_kind_flag (kind, flag))"
        " comment 'all orders'\"",
        "mysql",
    )
    assert op == CreateTable(
        Table(
            "Orders",
            (
                Column("id", "integer", nullable=False, identity=True),
                Column("kind", "enum('Retail','B2B')", nullable=False, default="'Retail'"),
                Column("flag", "boolean", nullable=False, default="0"),
                Column("created_at", "timestamp"),
            ),
            primary_key=("id",),
            uniques=(UniqueConstraint("uq_kind_flag", ("kind", "flag")),),
            indexes=(Index("ix_kind", ("kind",)),),
            comment="all orders",
        )
    )


def test_create_table_sqlite_rowid_alias_is_identity() -> None:
    [op] = ops('--create-table "notes (id integer primary key, body text)"', "sqlite")
    assert isinstance(op, CreateTable)
    assert op.table.columns[0] == Column("id", "integer", nullable=False, identity=True)
    [op] = ops('--create-table "notes (id int primary key, body text)"', "sqlite")
    assert isinstance(op, CreateTable)
    assert op.table.columns[0].identity is False  # only INTEGER is the rowid alias
    [op] = ops('--create-table "notes (id integer primary key autoincrement)"', "sqlite")
    assert isinstance(op, CreateTable)
    assert op.table.columns[0].identity is True


def test_create_table_names_fold_in_postgres_only() -> None:
    [pg] = ops('--create-table "Users (Email text, \\"Keep\\" int)"')
    [my] = ops('--create-table "Users (Email text)"', "mysql")
    assert isinstance(pg, CreateTable) and isinstance(my, CreateTable)
    assert pg.table.name == "users"
    assert pg.table.column_names == ("email", "Keep")
    assert my.table.name == "Users" and my.table.column_names == ("Email",)


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_column_plain(dialect: str) -> None:
    assert ops('--add-column "orders.shipped_at timestamp"', dialect) == [
        AddColumn("orders", Column("shipped_at", "timestamp"))
    ]


def test_add_column_with_inline_constraints() -> None:
    assert ops(
        '--add-column "orders.coupon_id bigint not null default 0 references coupons(id) '
        'on delete set default unique check (coupon_id >= 0)"'
    ) == [
        AddColumn("orders", Column("coupon_id", "bigint", nullable=False, default="0")),
        AddUnique("orders", UniqueConstraint("uq_orders_coupon_id", ("coupon_id",))),
        AddForeignKey(
            "orders",
            ForeignKey(
                "fk_orders_coupon_id", ("coupon_id",), "coupons", ("id",), on_delete="SET DEFAULT"
            ),
        ),
        AddCheck("orders", CheckConstraint("ck_orders_coupon_id", "coupon_id >= 0")),
    ]


def test_add_column_keeps_default_text_as_written() -> None:
    [op] = ops("--add-column \"orders.state text not null default 'new'::text\"")
    assert op == AddColumn("orders", Column("state", "text", nullable=False, default="'new'::text"))
    [op] = ops('--add-column "orders.n int default 1 + 2 not null"')
    assert op == AddColumn("orders", Column("n", "integer", nullable=False, default="1 + 2"))
    [op] = ops('--add-column "orders.n int default null"')
    assert op == AddColumn("orders", Column("n", "integer"))


def test_add_column_named_constraint() -> None:
    assert ops('--add-column "orders.user2 bigint constraint fk_u2 references users(id)"') == [
        AddColumn("orders", Column("user2", "bigint")),
        AddForeignKey("orders", ForeignKey("fk_u2", ("user2",), "users", ("id",))),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drop_and_rename_column(dialect: str) -> None:
    assert ops(
        '--drop-column "orders.note" --rename-column "orders.total to amount" '
        '--rename-column "orders.status -> state"',
        dialect,
    ) == [
        DropColumn("orders", "note"),
        RenameColumn("orders", "total", "amount"),
        RenameColumn("orders", "status", "state"),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_tables_drop_and_rename(dialect: str) -> None:
    assert ops('--drop-table legacy_events --rename-table "orders -> purchases"', dialect) == [
        DropTable("legacy_events"),
        RenameTable("orders", "purchases"),
    ]
    assert ops('--rename-table "orders to purchases"', dialect) == [
        RenameTable("orders", "purchases")
    ]


# ---------------------------------------------------------------------------------------------
# --alter-table
# ---------------------------------------------------------------------------------------------


def test_alter_table_postgres_actions() -> None:
    assert ops(
        '--alter-table "orders alter column total type numeric(14, 2) using total::numeric(14,2),'
        " alter column status set not null, alter column note drop not null,"
        " alter column total set default 0, alter status drop default, add column x int,"
        " add y text not null default '', drop column x, rename column note to memo,"
        " add constraint ck_y check (length(y) < 10), add foreign key (user_id) references"
        " users(id) on delete cascade, add unique (y, status), add constraint uq_m unique (memo),"
        ' drop constraint ck_orders_total, rename to purchases, add z int"'
    ) == [
        AlterColumn("orders", "total", type="numeric(14,2)", using="total::numeric(14,2)"),
        AlterColumn("orders", "status", nullable=False),
        AlterColumn("orders", "note", nullable=True),
        AlterColumn("orders", "total", default="0"),
        AlterColumn("orders", "status", default=None),
        AddColumn("orders", Column("x", "integer")),
        AddColumn("orders", Column("y", "text", nullable=False, default="''")),
        DropColumn("orders", "x"),
        RenameColumn("orders", "note", "memo"),
        AddCheck("orders", CheckConstraint("ck_y", "length(y) < 10")),
        AddForeignKey(
            "orders",
            ForeignKey("fk_orders_user_id", ("user_id",), "users", ("id",), on_delete="CASCADE"),
        ),
        AddUnique("orders", UniqueConstraint("uq_orders_y_status", ("y", "status"))),
        AddUnique("orders", UniqueConstraint("uq_m", ("memo",))),
        DropConstraint("orders", "ck_orders_total"),
        RenameTable("orders", "purchases"),
        AddColumn("purchases", Column("z", "integer")),
    ]


def test_alter_table_set_data_type_and_keep_default() -> None:
    [op] = ops('--alter-table "alter table orders alter column total set data type bigint"')
    assert op == AlterColumn("orders", "total", type="bigint")
    assert isinstance(op, AlterColumn) and op.default is KEEP


def test_alter_table_mysql_modify_change_and_drops() -> None:
    assert ops(
        '--alter-table "orders modify total decimal(12,2) not null default 0,'
        " change column note memo varchar(200), drop foreign key fk_orders_user_id,"
        ' drop index ix_orders_user_id, add index ix_status (status), add unique key uq_s (status)"',
        "mysql",
    ) == [
        AlterColumn("orders", "total", type="numeric(12,2)", nullable=False, default="0"),
        RenameColumn("orders", "note", "memo"),
        AlterColumn("orders", "memo", type="varchar(200)", nullable=True, default=None),
        DropForeignKey("orders", "fk_orders_user_id"),
        DropIndex("orders", "ix_orders_user_id"),
        CreateIndex("orders", Index("ix_status", ("status",))),
        AddUnique("orders", UniqueConstraint("uq_s", ("status",))),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_alter_table_common_forms_every_dialect(dialect: str) -> None:
    assert ops(
        '--alter-table "orders add column shipped_at timestamp, rename column total to amount"',
        dialect,
    ) == [
        AddColumn("orders", Column("shipped_at", "timestamp")),
        RenameColumn("orders", "total", "amount"),
    ]


# ---------------------------------------------------------------------------------------------
# Indexes and constraints
# ---------------------------------------------------------------------------------------------


def test_add_index_postgres_options() -> None:
    assert ops(
        "--add-index \"orders (user_id, created_at) unique where status = 'open' "
        'name idx_open concurrently" --add-index "orders (lower(email)) using gin"'
    ) == [
        CreateIndex(
            "orders",
            Index("idx_open", ("user_id", "created_at"), unique=True, where="status = 'open'"),
            concurrently=True,
        ),
        CreateIndex("orders", Index("ix_orders_lower_email", ("lower(email)",), using="gin")),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_index_plain_and_sql_form(dialect: str) -> None:
    assert ops(
        '--add-index "orders.user_id" --add-index "create unique index ix_s on orders (status)"',
        dialect,
    ) == [
        CreateIndex("orders", Index("ix_orders_user_id", ("user_id",))),
        CreateIndex("orders", Index("ix_s", ("status",), unique=True)),
    ]


def test_add_index_sql_form_postgres_extras() -> None:
    [op] = ops(
        '--add-index "CREATE INDEX CONCURRENTLY ON orders USING btree (status, (total * 2)) '
        'WHERE total > 0"'
    )
    assert op == CreateIndex(
        "orders",
        Index(
            "ix_orders_status_total_2", ("status", "(total * 2)"), where="total > 0", using="btree"
        ),
        concurrently=True,
    )


def test_sqlite_partial_index() -> None:
    assert ops("--add-index \"orders (status) where status = 'open'\"", "sqlite") == [
        CreateIndex("orders", Index("ix_orders_status", ("status",), where="status = 'open'"))
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drop_index_and_constraint(dialect: str) -> None:
    assert ops(
        '--drop-index "orders.ix_orders_user_id" --drop-constraint "orders.ck_orders_total"',
        dialect,
    ) == [DropIndex("orders", "ix_orders_user_id"), DropConstraint("orders", "ck_orders_total")]


def test_drop_index_concurrently_postgres() -> None:
    assert ops('--drop-index "orders.ix_x concurrently"') == [
        DropIndex("orders", "ix_x", concurrently=True)
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_fk(dialect: str) -> None:
    assert ops(
        '--add-fk "orders.user_id -> users.id on delete cascade on update restrict name fk_x" '
        '--add-fk "shipments.(order_id, pos) -> line_items.(order_id, position)" '
        '--add-fk "notes(user_id) references users(id) on delete set null"',
        dialect,
    ) == [
        AddForeignKey(
            "orders",
            ForeignKey(
                "fk_x", ("user_id",), "users", ("id",), on_delete="CASCADE", on_update="RESTRICT"
            ),
        ),
        AddForeignKey(
            "shipments",
            ForeignKey(
                "fk_shipments_order_id_pos",
                ("order_id", "pos"),
                "line_items",
                ("order_id", "position"),
            ),
        ),
        AddForeignKey(
            "notes",
            ForeignKey("fk_notes_user_id", ("user_id",), "users", ("id",), on_delete="SET NULL"),
        ),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_check_and_unique(dialect: str) -> None:
    assert ops(
        '--add-check "orders total >= 0 name ck_pos" --add-check "orders (total < 1000000)" '
        '--add-unique "users (email)" --add-unique "orders.(user_id, status) name uq_us"',
        dialect,
    ) == [
        AddCheck("orders", CheckConstraint("ck_pos", "total >= 0")),
        AddCheck("orders", CheckConstraint("ck_orders_total", "total < 1000000")),
        AddUnique("users", UniqueConstraint("uq_users_email", ("email",))),
        AddUnique("orders", UniqueConstraint("uq_us", ("user_id", "status"))),
    ]


def test_generated_names_do_not_collide() -> None:
    assert ops('--add-check "orders total > 0" --add-check "orders (total < 10)"') == [
        AddCheck("orders", CheckConstraint("ck_orders_total", "total > 0")),
        AddCheck("orders", CheckConstraint("ck_orders_total_2", "total < 10")),
    ]


# ---------------------------------------------------------------------------------------------
# Data and enums
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_backfill(dialect: str) -> None:
    assert ops(
        "--backfill \"orders.status = 'pending' where status is null batch 1000 reverse NULL\"",
        dialect,
    ) == [Backfill("orders", "status", "'pending'", "status is null", "NULL", 1000)]
    assert ops('--backfill "orders.total = total * 100"', dialect) == [
        Backfill("orders", "total", "total * 100")
    ]


def test_backfill_function_named_like_an_option() -> None:
    [op] = ops('--backfill "orders.status = reverse(status) reverse reverse(status)"', "mysql")
    assert op == Backfill("orders", "status", "reverse(status)", None, "reverse(status)")


def test_enums_postgres() -> None:
    assert ops(
        "--create-enum \"mood (happy, sad)\" --create-enum \"state as enum ('new', 'In Work')\" "
        "--add-enum-value \"mood.ok after happy\" --add-enum-value \"state 'done' before 'new'\""
    ) == [
        CreateEnum(EnumType("mood", ("happy", "sad"))),
        CreateEnum(EnumType("state", ("new", "In Work"))),
        AddEnumValue("mood", "ok", after="happy"),
        AddEnumValue("state", "done", before="new"),
    ]


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_enums_are_postgres_only(dialect: str) -> None:
    err = error('--create-enum "mood (happy, sad)"', dialect)
    assert "PostgreSQL only" in str(err) and err.hint
    assert "PostgreSQL only" in str(error('--add-enum-value "mood.ok"', dialect))


# ---------------------------------------------------------------------------------------------
# Several verbs, descriptions, argv
# ---------------------------------------------------------------------------------------------


def test_several_verbs_in_order_and_description() -> None:
    request = parse_request(
        '--add-column "orders.shipped_at timestamptz" --add-index "orders (shipped_at)" '
        "--backfill \"orders.shipped_at = now() where status = 'shipped'\""
    )
    assert [type(op) for op in request.operations] == [AddColumn, CreateIndex, Backfill]
    assert (
        request.description == "add shipped_at to orders, add index on orders shipped_at and 1 more"
    )
    assert parse_request('--add-column "orders.shipped_at date"').description == (
        "add shipped_at to orders"
    )


def test_description_override_and_argv() -> None:
    request = parse_request(
        ["--add-column", "orders.note text", "--description", "  notes   on orders "]
    )
    assert request == Request(
        (AddColumn("orders", Column("note", "text")),),
        "notes on orders",
        "--add-column 'orders.note text' --description '  notes   on orders '",
    )
    assert ops(["--drop-table=legacy"]) == [DropTable("legacy")]


# ---------------------------------------------------------------------------------------------
# --sql
# ---------------------------------------------------------------------------------------------


def test_sql_file(tmp_path: Path) -> None:
    (tmp_path / "change.sql").write_text(
        "BEGIN;\n"
        "CREATE TABLE tags (id bigint primary key, name text not null);\n"
        "ALTER TABLE orders ADD COLUMN tag_id bigint REFERENCES tags(id);\n"
        "CREATE INDEX ix_tag ON orders (tag_id);\n"
        "UPDATE orders SET status = 'x' WHERE status IS NULL;\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
        "DROP INDEX ix_tag;\n"
        "DROP TABLE legacy, legacy2;\n"
        "COMMIT;\n",
        encoding="utf-8",
    )
    request = parse_request(["--sql", "change.sql"], base_dir=tmp_path)
    assert request.operations == (
        CreateTable(
            Table(
                "tags",
                (Column("id", "bigint", nullable=False), Column("name", "text", nullable=False)),
                primary_key=("id",),
            )
        ),
        AddColumn("orders", Column("tag_id", "bigint")),
        AddForeignKey("orders", ForeignKey("fk_orders_tag_id", ("tag_id",), "tags", ("id",))),
        CreateIndex("orders", Index("ix_tag", ("tag_id",))),
        Backfill("orders", "status", "'x'", "status IS NULL"),
        RawSQL("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql"),
        RawSQL("DROP INDEX ix_tag"),
        DropTable("legacy"),
        DropTable("legacy2"),
    )
    assert request.description == "change"
    assert any("statement 6 (line 6)" in n and "create function" in n for n in request.notes)
    assert any("statement 7" in n and "table is unknown" in n for n in request.notes)
    assert any("BEGIN left out" in n for n in request.notes)


def test_sql_with_schema_resolves_drop_index_and_types(tmp_path: Path) -> None:
    path = tmp_path / "x.sql"
    path.write_text(
        "DROP INDEX ix_orders_user_id; CREATE TYPE mood AS ENUM ('a', 'b');"
        " ALTER TYPE mood ADD VALUE 'c' AFTER 'a'; DROP TYPE mood"
    )
    assert ops(["--sql", str(path)], schema=SCHEMA) == [
        DropIndex("orders", "ix_orders_user_id"),
        CreateEnum(EnumType("mood", ("a", "b"))),
        AddEnumValue("mood", "c", after="a"),
        DropEnum("mood"),
    ]


def test_sql_mysql_table_options_keep_the_sql_and_model_the_table() -> None:
    sql = "CREATE TABLE t (id int primary key) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    request = parse_request(["--sql", sql], dialect="mysql")
    [op] = request.operations
    table = Table("t", (Column("id", "integer", nullable=False),), primary_key=("id",))
    assert op == RawSQL(sql, "DROP TABLE t", (CreateTable(table),))
    assert apply_all(request.operations, Schema()).table("t") == table


def test_sql_inline_and_unmodelled_statement() -> None:
    request = parse_request(["--sql", "ALTER TABLE orders ENABLE ROW LEVEL SECURITY"])
    assert request.operations == (RawSQL("ALTER TABLE orders ENABLE ROW LEVEL SECURITY"),)
    assert len(request.notes) == 1 and "raw SQL without a down" in request.notes[0]


def test_sql_syntax_error_names_the_statement(tmp_path: Path) -> None:
    path = tmp_path / "bad.sql"
    path.write_text("CREATE TABLE a (id int);\n\nCREATE TABLE b (id int")
    err = error(["--sql", str(path)])
    assert str(err).startswith(f'--sql "{path}": statement 2 (line 3)')


def test_sql_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """sqlglot logs a warning for SQL it reads as an opaque command; tools never print."""
    parse_request(["--sql", "ALTER TABLE orders ENABLE ROW LEVEL SECURITY; VACUUM orders"])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_sql_missing_file() -> None:
    err = error(["--sql", "nope/missing.sql"])
    assert "no such file" in str(err) and ".sql" in err.hint


# ---------------------------------------------------------------------------------------------
# With a schema
# ---------------------------------------------------------------------------------------------


def test_schema_errors_are_spec_errors_naming_the_verb() -> None:
    with pytest.raises(SpecError) as info:
        parse_request('--add-column "ordres.x int"', schema=SCHEMA)
    err = info.value
    assert str(err) == '--add-column "ordres.x int": no table named ordres'
    assert "orders" in err.hint
    with pytest.raises(SpecError, match="has no column nope"):
        parse_request('--drop-column "orders.nope"', schema=SCHEMA)


def test_schema_state_carries_from_verb_to_verb() -> None:
    assert ops(
        '--create-table "tags (id bigint primary key)" --add-column "orders.tag_id bigint" '
        '--add-fk "orders.tag_id -> tags"',
        schema=SCHEMA,
    )[-1] == AddForeignKey("orders", ForeignKey("fk_orders_tag_id", ("tag_id",), "tags", ("id",)))
    # an existing name is skipped when inventing one
    assert ops('--add-check "orders total < 99"', schema=SCHEMA) == [
        AddCheck("orders", CheckConstraint("ck_orders_total_2", "total < 99"))
    ]


def test_self_reference_outside_create_table_uses_the_schema() -> None:
    assert ops('--add-column "orders.parent_id bigint references orders"', schema=SCHEMA)[-1] == (
        AddForeignKey(
            "orders", ForeignKey("fk_orders_parent_id", ("parent_id",), "orders", ("id",))
        )
    )
    assert "primary key of orders is unknown" in str(
        error('--add-column "orders.parent_id bigint references orders"')
    )


def test_schema_picks_the_right_drop() -> None:
    assert ops(
        '--drop-constraint "orders.fk_orders_user_id" --drop-constraint "orders.uq_orders_note"'
        ' --drop-index "ix_orders_user_id"',
        schema=SCHEMA,
    ) == [
        DropForeignKey("orders", "fk_orders_user_id"),
        DropConstraint("orders", "uq_orders_note"),
        DropIndex("orders", "ix_orders_user_id"),
    ]


# ---------------------------------------------------------------------------------------------
# Mistakes
# ---------------------------------------------------------------------------------------------


def test_missing_table_dot_column() -> None:
    err = error('--add-column "orders shipped_at"')
    assert str(err) == '--add-column "orders shipped_at": expected table.column'
    assert err.hint == '--add-column "orders.shipped_at timestamptz"'
    assert err.one_line() == (
        '--add-column "orders shipped_at": expected table.column '
        '(--add-column "orders.shipped_at timestamptz")'
    )
    assert "expected table.column" in str(error('--drop-column "orders"'))


def test_unknown_verb_suggests_the_closest() -> None:
    err = error('--add-colum "orders.x int"')
    assert str(err) == "unknown verb --add-colum"
    assert err.hint.startswith("did you mean --add-column?")
    assert "--add-column" in error('add-column "orders.x int"').hint
    assert "verbs:" in error("--frobnicate x").hint


def test_bad_referential_action() -> None:
    err = error('--add-fk "orders.user_id -> users.id on delete explode"')
    assert "unknown referential action 'explode'" in str(err)
    assert "cascade, set null, set default, restrict, no action" in err.hint


def test_missing_argument_bad_quote_and_empty() -> None:
    assert str(error("--add-column")) == "--add-column needs an argument"
    assert str(error('--add-column --drop-table "x"')) == "--add-column needs an argument"
    assert "unclosed quote" in str(error("--add-column 'orders.x int"))
    assert str(error("")) == "the request is empty"
    assert "empty argument" in str(error(["--drop-table", "  "]))
    assert "only a description" in str(error('--description "x"'))


@pytest.mark.parametrize(
    ("request_text", "fragment"),
    [
        ('--add-column "orders.x int default"', "expected the default of x"),
        ('--add-column "orders.x int frob"', "unexpected 'frob' in the definition of column x"),
        ('--add-column "orders.x"', "expected a type for column x"),
        ('--add-check "orders total >"', "is not a SQL expression"),
        ('--add-check "orders total > 0 total"', "not a single SQL expression"),
        ('--create-table "t (a int, b int"', "expected ')'"),
        ('--create-table "t ()"', "expected a column name"),
        ('--create-table "t (a int primary key, b int primary key)"', "more than one primary key"),
        ('--add-column "orders.x int null not null"', "both null and not null"),
        ('--add-column "orders.x serial default 1"', "cannot have a default"),
        ('--add-column "orders.x int collate \\"C\\""', "not modelled"),
        ('--add-column "orders.x int primary key"', "primary key"),
        ('--alter-table "orders explode"', "unknown action 'explode'"),
        ('--alter-table "orders"', "expected an action"),
        ('--backfill "orders.status"', "expected '='"),
        ('--backfill "orders.status = 1 batch lots"', "whole number"),
        ('--add-index "orders (a) sideways"', "unexpected 'sideways'"),
        ('--add-fk "orders.(a, b) -> users.id"', "2 referencing column(s) but 1 referenced"),
        ('--add-fk "orders.user_id -> users"', "primary key of users is unknown"),
        ('--rename-column "orders.a b"', "expected to or ->"),
        ('--create-enum "mood (a, a)"', "lists 'a' twice"),
        ('--add-column "orders.x int default $1"', "query parameter"),
        ('--add-column "orders.x int ` y"', "unexpected character"),
        ('--drop-index "ix_only"', "expected table.index"),
        ('--add-column "orders.x int default 1 default 2"', "two defaults"),
        ('--create-table "t (a int, b int, p int references t, primary key (a, b))"', "counts"),
        ('--sql "CREATE TABLE t (a int"', "statement 1 (line 1): syntax error"),
    ],
)
def test_syntax_errors(request_text: str, fragment: str) -> None:
    err = error(request_text)
    assert fragment in str(err)
    assert "\n" not in str(err)
    assert err.hint
    assert str(err).startswith(request_text.split(" ", 1)[0])


@pytest.mark.parametrize(
    ("dialect", "request_text"),
    [
        ("mysql", '--add-index "orders (a) where a > 0"'),
        ("mysql", '--add-index "orders (a) concurrently"'),
        ("sqlite", '--add-index "orders (a) using gin"'),
        ("mysql", '--alter-table "orders alter column a type int using a::int"'),
        ("mysql", '--create-table "t (a int) engine=innodb"'),
    ],
)
def test_dialect_mistakes(dialect: str, request_text: str) -> None:
    err = error(request_text, dialect)
    assert err.hint and "\n" not in str(err)


def test_unknown_dialect() -> None:
    assert "unknown dialect" in str(error('--drop-table "x"', "oracle"))


# ---------------------------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------------------------


def test_every_verb_is_documented() -> None:
    page = (ROOT / "docs" / "request-grammar.md").read_text(encoding="utf-8")
    for verb in ALL_VERBS:
        assert verb in GRAMMAR, verb
        assert verb in page, verb


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_example_parses(verb: str) -> None:
    """The example in each hint is itself a valid request (--sql's names a file)."""
    example = VERBS[verb][1]
    if verb == "--sql":
        assert "no such file" in str(error(example))
    else:
        assert parse_request(example).operations
