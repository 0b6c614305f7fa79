"""Rails generation, proven with Active Record's own MigrationContext (rails_runner).

Every operation kind runs on a hand-written "library" history in each dialect; rails-store
(PostgreSQL) gets cases of its own. Ruby and Active Record come from Debian here
(`apt-get install ruby ruby-activerecord ruby-pg ruby-mysql2 ruby-sqlite3`, which `.ci/run`
does): without them these tests skip locally, with the reason, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from sqlfw_roundtrip import check_golden, copy_repo, matrix, mini_repo, render_files, roundtrip

from migwright.tools.analysis import analyse
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import rails_render, rails_runner
from migwright.tools.introspect import introspect
from migwright.tools.scratch import create_scratch

#: Cases whose down or up makes Active Record 6.1 copy the `authors` table on SQLite: its
#: copy_table keeps `column.default` only, so `created_at`'s DEFAULT CURRENT_TIMESTAMP is
#: lost (rails/rails#48304, fixed by #48309 in 7.0.6 and 7.1). The migrations are right.
AR61_SQLITE_COPY = {
    "add_column_default_now",
    "add_column_text_default",
    "drop_column",
    "rename_column",
    "alter_set_not_null",
}


def _ar_version() -> tuple[int, ...] | None:
    if shutil.which("ruby") is None:
        return None
    try:
        return tuple(int(p) for p in rails_runner.active_record_version().split("."))
    except Exception:  # no Active Record: the tests skip or fail below
        return None


AR_VERSION = _ar_version()


def _known(case: str, dialect: str) -> list[pytest.MarkDecorator]:
    if dialect == "sqlite" and case in AR61_SQLITE_COPY and AR_VERSION and AR_VERSION < (7, 0):
        reason = "Active Record 6.1 drops SQLite default functions when it copies a table"
        return [pytest.mark.xfail(reason=reason, strict=True)]
    return []


@pytest.fixture(autouse=True)
def _ruby() -> None:
    """Skip (locally) or fail (CI=true) when Ruby or Active Record is missing."""
    if AR_VERSION is not None:
        return
    why = f"Ruby with Active Record is not installed (apt-get install {rails_runner.APT_PACKAGES})"
    if os.environ.get("CI") == "true":
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


@pytest.mark.parametrize(("request_text", "dialect"), matrix("rails", _known))
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = mini_repo("rails", dialect, tmp_path)
    run = roundtrip(repo, dialect, request_text, rails_render, rails_runner)
    assert run.file().path.startswith("db/migrate/20260102030405_")
    assert all("Active Record" in note for note in run.notes)


# ---------------------------------------------------------------------------------------------
# rails-store (PostgreSQL)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_store_concurrent_partial_index(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("rails-store", tmp_path)
    request = (
        '--add-column "orders.shipped_at timestamptz" '
        '--add-index "orders (shipped_at) where shipped_at is not null concurrently"'
    )
    run = roundtrip(repo, dialect, request, rails_render, rails_runner)
    text = run.file().content
    assert run.file().path == (
        "db/migrate/20260102030405_add_shipped_at_to_orders_and_add_index_on_orders_shipped_at.rb"
    )
    assert text.startswith(
        "class AddShippedAtToOrdersAndAddIndexOnOrdersShippedAt < ActiveRecord::Migration[7.1]\n"
        "  disable_ddl_transaction!\n\n  def change\n"
    )
    assert 'where: "shipped_at is not null", algorithm: :concurrently' in text


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_store_create_table_with_unique(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("rails-store", tmp_path)
    request = (
        '--create-table "shipments (id bigint generated always as identity primary key, '
        "order_id bigint not null references orders(id) on delete cascade, "
        "tracking varchar(40) not null unique, weight numeric(10,2), "
        'shipped_at timestamptz default now(), check (weight > 0))"'
    )
    run = roundtrip(repo, dialect, request, rails_render, rails_runner)
    text = run.file().content
    assert "  def up\n    create_table :shipments do |t|\n" in text
    assert "ALTER TABLE shipments ADD CONSTRAINT uq_shipments_tracking UNIQUE (tracking)" in text
    assert "  def down\n    drop_table :shipments\n  end\n" in text


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_store_renames_follow_rails_index_names(tmp_path: Path, dialect: str) -> None:
    """rename_table / rename_column rename Rails-named indexes too (expected_after)."""
    repo = copy_repo("rails-store", tmp_path)
    request = (
        '--rename-table "addresses to shipping_addresses" --rename-column "orders.status to state"'
    )
    run = roundtrip(
        repo, dialect, request, rails_render, rails_runner, expected=rails_render.expected_after
    )
    after = rails_render.expected_after(run.plan)
    assert [i.name for i in after.table("shipping_addresses").indexes] == [
        "index_shipping_addresses_on_customer_id"
    ]
    assert "index_orders_on_state_and_created_at" in after.table("orders").constraint_names()
    assert "  def change\n    rename_table :addresses, :shipping_addresses\n" in run.file().content


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_store_irreversible(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("rails-store", tmp_path)
    request = '--create-enum "order_kind (web)" --add-enum-value "order_kind.phone"'
    run = roundtrip(repo, dialect, request, rails_render, rails_runner)
    assert "raise ActiveRecord::IrreversibleMigration, " in run.file().content
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        rails_runner.apply(analysis.repo, analysis.config, db)
        with pytest.raises(ValidationFailed, match="cannot remove the value 'phone'"):
            rails_runner.rollback(analysis.repo, analysis.config, db)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_store_replay_upto(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("rails-store", tmp_path)
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        result = rails_runner.replay(analysis, db, upto="20240111093000")
        assert result.applied == ("20240110120000", "20240110120500", "20240111093000")
        assert introspect(db.engine()).table_names == ("customers", "orders", "products")


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_failure_names_the_error(tmp_path: Path, dialect: str) -> None:
    repo = mini_repo("rails", dialect, tmp_path)
    (repo / "db/migrate/20990101000000_broken.rb").write_text(
        "class Broken < ActiveRecord::Migration[7.1]\n"
        "  def change\n    add_column :nowhere, :x, :integer\n  end\nend\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db, pytest.raises(ValidationFailed) as err:
        rails_runner.apply(analysis.repo, analysis.config, db)
    assert "no such table: nowhere" in str(err.value)


def test_version_bracket_rewritten(tmp_path: Path) -> None:
    """The copy Active Record runs declares the installed version (6.1 refuses [7.1])."""
    repo = copy_repo("rails-store", tmp_path)
    analysis = analyse(repo)
    folder = rails_runner.copy_migrations(analysis.repo, analysis.config, tmp_path / "run")
    text = (folder / "20240110120000_create_customers.rb").read_text()
    assert f"ActiveRecord::Migration[{rails_runner.active_record_version()}]" in text
    assert "[7.1]" in (repo / "db/migrate/20240110120000_create_customers.rb").read_text()


# ---------------------------------------------------------------------------------------------
# Golden files
# ---------------------------------------------------------------------------------------------

GOLDEN_CASES = [
    (
        "add_column_pg",
        "postgresql",
        "--add-column \"books.subtitle varchar(200) not null default ''\"",
    ),
    (
        "create_table_pg",
        "postgresql",
        '--create-table "reviews (id bigint generated always as identity primary key, '
        "book_id integer not null references books(id) on delete cascade, "
        "reviewer varchar(100) not null, rating smallint not null, body text, "
        'created_at timestamp default now(), unique (book_id, reviewer), check (rating > 0))"',
    ),
    ("alter_type_mysql", "mysql", '--alter-table "books alter column title type varchar(300)"'),
    (
        "alter_null_default_sqlite",
        "sqlite",
        '--alter-table "authors alter column email set not null, '
        "alter column email set default 'none'\"",
    ),
    ("drop_column_sqlite", "sqlite", '--drop-column "authors.bio"'),
    (
        "fk_check_index_mysql",
        "mysql",
        '--add-column "tags.author_id integer" '
        '--add-fk "tags.author_id -> authors.id on delete set null" '
        '--add-check "books price < 10000" --add-index "tags (label) unique"',
    ),
    ("drop_foreign_key_mysql", "mysql", '--drop-constraint "books.fk_books_author"'),
    ("backfill_pg", "postgresql", "--backfill \"authors.bio = 'n/a' where bio is null\""),
    ("irreversible_pg", "postgresql", '--create-enum "mood (happy)" --add-enum-value "mood.sad"'),
]


@pytest.mark.parametrize(("case", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, case: str, dialect: str, request_text: str) -> None:
    repo = mini_repo("rails", dialect, tmp_path)
    check_golden("rails", case, render_files(repo, dialect, request_text, rails_render))
