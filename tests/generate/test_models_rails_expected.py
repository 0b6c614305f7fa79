"""Validation compares a Rails migration with the schema Active Record leaves, not the plan's.

Rails' `rename_table` also renames the indexes that carry Rails' generated name
(`index_addresses_on_customer_id` becomes `index_shipping_addresses_on_customer_id`); the
plan's own `after` keeps the old name, so comparing with it failed a correct migration. The
validator now takes the framework's `expected_after(plan)` (rails_render) through
generation.py. Proven through `migwright new` with Active Record's runner on SQLite and
PostgreSQL (a two-table store written the way `rails generate` writes it) and on the
rails-store example (PostgreSQL: its history creates an index concurrently).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import dialect_params
from models_cli import copy_repo, new_json, step, written

from migwright.tools.frameworks import rails_render
from migwright.tools.frameworks.generation import expected_after
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.ops import RenameTable
from migwright.tools.schema import Column, Index, Schema, Table

#: Active Record's own `rename_table` (not the zero-downtime rewrite's raw SQL, which renames
#: no index), in one step.
RENAME = ("--unsafe", "--phase", "one-step", "--rename-table", "addresses to shipping_addresses")
ADAPTERS = {"sqlite": "sqlite3", "postgresql": "postgresql"}

CUSTOMERS = """class CreateCustomers < ActiveRecord::Migration[6.1]
  def change
    create_table :customers do |t|
      t.string :email, null: false
      t.timestamps
    end
  end
end
"""

ADDRESSES = """class CreateAddresses < ActiveRecord::Migration[6.1]
  def change
    create_table :addresses do |t|
      t.references :customer, null: false, foreign_key: true
      t.string :city, null: false
    end
  end
end
"""


@pytest.fixture(autouse=True)
def _active_record() -> None:
    if shutil.which("ruby") is None:
        pytest.skip("Ruby with Active Record is not installed (apt-get install ruby-activerecord)")


def _store(tmp_path: Path, dialect: str) -> Path:
    repo = tmp_path / f"store-{dialect}"
    database = "db/development.sqlite3" if dialect == "sqlite" else "store_development"
    files = {
        "Gemfile": 'source "https://rubygems.org"\n\ngem "rails", "~> 6.1.7"\n',
        "config/database.yml": (
            f"development:\n  adapter: {ADAPTERS[dialect]}\n  database: {database}\n"
        ),
        "db/migrate/20240101000000_create_customers.rb": CUSTOMERS,
        "db/migrate/20240101000100_create_addresses.rb": ADDRESSES,
    }
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return repo


def _assert_validated_rename(data: dict, repo: Path) -> None:
    testing = step(data, "testing")
    assert testing["status"] == "ok" and testing["summary"] == "passed", testing["findings"]
    phases = {p["name"]: p for p in testing["outputs"]["report"]["phases"]}
    assert [phases[n]["status"] for n in ("up", "down", "re-up")] == ["passed"] * 3
    [migration] = [p for p in written(data, repo) if p.endswith("_shipping_addresses.rb")]
    assert "    rename_table :addresses, :shipping_addresses\n" in (repo / migration).read_text()


@pytest.mark.parametrize("dialect", dialect_params("sqlite", "postgresql"))
def test_rename_table_with_rails_named_index_validates(tmp_path: Path, dialect: str) -> None:
    repo = _store(tmp_path, dialect)
    data = new_json(repo, tmp_path, "--dialect", dialect, *RENAME)
    _assert_validated_rename(data, repo)


@pytest.mark.postgres
def test_rails_store_rename_table_validates(tmp_path: Path) -> None:
    repo = copy_repo("rails-store", tmp_path)
    data = new_json(repo, tmp_path, *RENAME)
    _assert_validated_rename(data, repo)


def test_expected_after_is_looked_up_per_framework() -> None:
    """Rails renames its index; a framework without the hook keeps the plan's `after`."""
    table = Table(
        "addresses",
        columns=(Column("id", "integer", nullable=False), Column("customer_id", "integer")),
        primary_key=("id",),
        indexes=(Index("index_addresses_on_customer_id", ("customer_id",)),),
    )
    plan = MigrationPlan(
        (RenameTable("addresses", "shipping_addresses"),),
        Schema(tables=(table,)),
        "sqlite",
        "rename",
        "db/migrate/x.rb",
    )
    renamed = expected_after("rails", plan).table("shipping_addresses")
    assert [i.name for i in renamed.indexes] == ["index_shipping_addresses_on_customer_id"]
    assert expected_after("rails", plan) == rails_render.expected_after(plan)
    assert expected_after("knex", plan) == plan.after
    assert [i.name for i in plan.after.table("shipping_addresses").indexes] == [
        "index_addresses_on_customer_id"
    ]
