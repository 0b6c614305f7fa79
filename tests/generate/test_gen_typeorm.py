"""TypeORM generation: every operation kind onto typeorm-crm, proven with TypeORM's own CLI.

Each case renders a request as a TypeORM migration class, writes it beside the history and
runs history + new migration up, down and up with `typeorm migration:run` / `migration:revert`
(through ts-node) on a scratch database, comparing the introspected schema with the plan at
every step. typeorm-crm's history is PostgreSQL SQL, so for SQLite and MySQL the copy is
retargeted first: its data source says the other driver, and its history is replaced by one
migration migwright renders for that dialect (the same five tables). Golden files pin the text
of a few renderings; entity edits are checked against the entity classes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import dialect_params
from js_roundtrip import (
    NOW,
    copy_repo,
    file_of,
    prettier_available,
    prettier_check,
    roundtrip,
    write,
)

from migwright.tools.analysis import analyse
from migwright.tools.errors import HistoryError, ValidationFailed
from migwright.tools.frameworks import typeorm_render, typeorm_runner
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.frameworks.typeorm_entities import update_entities
from migwright.tools.ops import apply_all
from migwright.tools.schema import Schema
from migwright.tools.spec import parse_request

REPO = "typeorm-crm"
ALL = ("sqlite", "postgresql", "mysql")
TYPES = {"sqlite": "better-sqlite3", "mysql": "mysql"}

#: typeorm-crm's tables for dialects other than PostgreSQL (stage is an enum there).
BASE = (
    '--create-table "users (id integer generated always as identity primary key, '
    'email varchar(255) not null unique, full_name varchar(120) not null)" '
    '--create-table "companies (id integer generated always as identity primary key, '
    "name varchar(200) not null, domain varchar(255), owner_id integer references users(id) "
    'on delete set null, constraint uq_companies_domain unique (domain))" '
    '--create-table "contacts (id integer generated always as identity primary key, '
    "first_name varchar(80) not null, last_name varchar(80) not null, email varchar(255), "
    'phone varchar(40), company_id integer references companies(id) on delete set null)" '
    '--create-table "deals (id integer generated always as identity primary key, '
    "title varchar(200) not null, stage varchar(20) not null default 'lead', "
    "amount_cents integer not null default 0, close_date date, "
    'company_id integer references companies(id) on delete cascade)" '
    '--create-table "activities (id integer generated always as identity primary key, '
    "kind varchar(20) not null, notes text, due_at timestamp, "
    "deal_id integer references deals(id) on delete cascade, "
    'contact_id integer references contacts(id) on delete set null)" '
    '--add-index "contacts (email)"'
)

#: (case id, request (or per-dialect requests), dialects it runs on)
CASES: list[tuple[str, str | dict[str, str], tuple[str, ...]]] = [
    (
        "columns",
        '--add-column "deals.shipped_at timestamptz" '
        '--add-column "deals.priority integer not null default 3" '
        '--drop-column "contacts.phone" --rename-column "users.full_name to display_name"',
        ALL,
    ),
    (
        "alter_columns",
        '--alter-table "deals alter column title type varchar(300), '
        'alter column close_date set not null, alter column amount_cents set default 100"',
        ALL,
    ),
    (
        "create_and_rename_tables",
        '--create-table "notes (id integer generated always as identity primary key, '
        "deal_id integer not null references deals(id) on delete cascade, body text not null, "
        'url varchar(300) unique, score integer, check (score >= 0))" '
        '--rename-table "activities to events"',
        ALL,
    ),
    ("drop_table", '--drop-table "activities"', ALL),
    (
        "indexes",
        {
            "postgresql": '--add-index "deals (company_id, close_date)" '
            '--add-index "users (full_name) unique" '
            '--add-index "deals (title) where close_date is null" '
            '--drop-index "contacts.\\"IDX_contacts_email\\""',
            "sqlite": '--add-index "deals (company_id, close_date)" '
            '--add-index "users (full_name) unique" '
            '--add-index "deals (title) where close_date is null" '
            '--drop-index "contacts.ix_contacts_email"',
            "mysql": '--add-index "deals (company_id, close_date)" '
            '--add-index "users (full_name) unique" '
            '--drop-index "contacts.ix_contacts_email"',
        },
        ALL,
    ),
    (
        "constraints",
        {
            dialect: '--add-column "activities.owner_id integer" '
            '--add-fk "activities.owner_id -> users.id on delete set null" '
            '--add-unique "deals (company_id, title)" --add-check "deals amount_cents >= 0" '
            f'--drop-constraint "companies.{unique}"'
            for dialect, unique in (
                ("postgresql", '\\"UQ_89a223b4d883067d909eedd3558\\"'),
                ("sqlite", "uq_companies_domain"),
                ("mysql", "uq_companies_domain"),
            )
        },
        ALL,
    ),
    ("backfill", "--backfill \"contacts.phone = 'unknown' where phone is null\"", ALL),
    (
        "enum_type",
        '--create-enum "priority (low, high)" '
        "--add-column \"deals.priority priority not null default 'low'\"",
        ("postgresql",),
    ),
    (
        "concurrent_index",
        '--add-column "deals.note text" --add-index "deals (title) concurrently"',
        ("postgresql",),
    ),
]


def _params() -> list[object]:
    out = []
    for case, request, dialects in CASES:
        for param in dialect_params(*dialects):
            (dialect,) = param.values
            text = request if isinstance(request, str) else request[str(dialect)]
            out.append(pytest.param(text, dialect, id=f"{case}-{param.id}", marks=param.marks))
    return out


def flat(text: str) -> str:
    """The text with comment markers and line breaks folded, to find wrapped comments."""
    return " ".join(text.replace("//", " ").split())


def retarget(dialect: str) -> object:
    """For SQLite and MySQL: the data source's driver, and a history for that dialect."""

    def prepare(repo: Path) -> None:
        if dialect == "postgresql":
            return
        source = repo / "src" / "data-source.ts"
        source.write_text(
            source.read_text().replace('type: "postgres"', f'type: "{TYPES[dialect]}"')
        )
        for old in (repo / "src" / "migrations").iterdir():
            old.unlink()
        analysis = analyse(repo)
        req = parse_request(BASE, dialect=dialect, schema=Schema())
        name = analysis.next_name("initial schema", NOW.replace(year=2024))
        plan = MigrationPlan(req.operations, Schema(), dialect, "initial schema", name)
        write(repo, typeorm_render.render(analysis.repo, analysis.config, analysis.history, plan))

    return prepare


def _roundtrip(tmp_path: Path, dialect: str, request: str):  # type: ignore[no-untyped-def]
    repo = copy_repo(REPO, tmp_path)
    return roundtrip(
        repo, dialect, request, typeorm_render.render, typeorm_runner, retarget(dialect)
    )


@pytest.mark.parametrize(("request_text", "dialect"), _params())
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    run = _roundtrip(tmp_path, dialect, request_text)
    migration = file_of(run)
    assert re.match(r"src/migrations/1767323045000-\w+\.ts$", migration.path)
    assert "implements MigrationInterface {" in migration.content
    assert "await queryRunner.query(`" in migration.content
    assert all("TypeORM" in note or "typeorm" in note for note in run.notes)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_concurrently_runs_outside_typeorms_transaction(tmp_path: Path, dialect: str) -> None:
    run = _roundtrip(tmp_path, dialect, '--add-index "deals (title) concurrently"')
    text = file_of(run).content
    assert "transaction = false" in text and "migration:revert -t none" in flat(text)
    assert "startTransaction" not in text  # nothing else to wrap
    assert any("(-t none)" in note for note in run.notes)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_irreversible_down_throws(tmp_path: Path, dialect: str) -> None:
    run = _roundtrip(tmp_path, dialect, '--add-enum-value "deals_stage_enum.archived"')
    text = file_of(run).content
    assert "throw new Error('AddArchivedToDealsStageEnum1767323045000 cannot be" in text
    assert "Irreversible. add value 'archived' to enum deals_stage_enum" in flat(text)
    assert "cannot remove the value" in flat(text)
    with pytest.raises(ValidationFailed, match="cannot be reverted"):
        from conftest import require_server

        from migwright.tools.scratch import create_scratch

        with create_scratch(dialect, require_server(dialect)) as db:
            typeorm_runner.apply(run.analysis.repo, run.analysis.config, db)
            typeorm_runner.rollback(run.analysis.repo, run.analysis.config, db)


@pytest.mark.parametrize("dialect", dialect_params("sqlite"))
def test_failing_history_is_a_history_error(tmp_path: Path, dialect: str) -> None:
    from conftest import require_server

    from migwright.tools.scratch import create_scratch

    repo = copy_repo(REPO, tmp_path)
    retarget(dialect)(repo)  # type: ignore[operator]
    (repo / "src/migrations/1700000000000-Broken.ts").write_text(
        'import { MigrationInterface, QueryRunner } from "typeorm";\n\n'
        "export class Broken1700000000000 implements MigrationInterface {\n"
        "    public async up(queryRunner: QueryRunner): Promise<void> {\n"
        "        await queryRunner.query(`CREATE TABLE nope (`);\n"
        "    }\n\n"
        "    public async down(queryRunner: QueryRunner): Promise<void> {}\n"
        "}\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db, pytest.raises(HistoryError) as err:
        typeorm_runner.apply(analysis.repo, analysis.config, db)
    assert "1700000000000-Broken.ts" in str(err.value)
    assert "incomplete input" in str(err.value)


# ---------------------------------------------------------------------------------------------
# Golden files, entity edits and layout (no database)
# ---------------------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"

GOLDEN_CASES = [
    ("typeorm_add_column_pg", "postgresql", '--add-column "deals.shipped_at timestamptz"'),
    (
        "typeorm_create_table_mysql",
        "mysql",
        '--create-table "notes (id integer generated always as identity primary key, '
        "deal_id integer not null references deals(id) on delete cascade, "
        'body text not null, `key` varchar(20) unique, check (char_length(body) > 0))"',
    ),
    (
        "typeorm_concurrent_index_pg",
        "postgresql",
        '--add-column "deals.note text" --add-index "deals (title) concurrently"',
    ),
    ("typeorm_rebuild_sqlite", "sqlite", '--add-check "deals amount_cents >= 0"'),
    ("typeorm_irreversible_pg", "postgresql", '--add-enum-value "stage.archived"'),
]

_ENUM = '--create-enum "stage (lead, won)" '
_TABLES = (
    '--create-table "companies (id integer generated always as identity primary key, '
    'name varchar(200) not null)" '
    '--create-table "deals (id integer generated always as identity primary key, '
    "title varchar(200) not null, amount_cents integer not null default 0, "
    'company_id integer references companies(id) on delete cascade)"'
)


def _before(dialect: str) -> Schema:
    text = (_ENUM if dialect == "postgresql" else "") + _TABLES
    return apply_all(parse_request(text, dialect=dialect).operations, Schema())


def _plan(tmp_path: Path, dialect: str, request: str) -> tuple[MigrationPlan, object]:
    repo = copy_repo(REPO, tmp_path)
    analysis = analyse(repo)
    before = _before(dialect)
    req = parse_request(request, dialect=dialect, schema=before)
    name = analysis.next_name(req.description, NOW)
    return MigrationPlan(req.operations, before, dialect, req.description, name), analysis


@pytest.mark.parametrize(("golden", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, golden: str, dialect: str, request_text: str) -> None:
    plan, analysis = _plan(tmp_path, dialect, request_text)
    (file,) = typeorm_render.render(
        analysis.repo,  # type: ignore[attr-defined]
        analysis.config,  # type: ignore[attr-defined]
        analysis.history,  # type: ignore[attr-defined]
        plan,
    )
    expected = GOLDEN / f"{golden}.ts"
    if not expected.exists():  # first run writes the file for review
        expected.write_text(file.content, encoding="utf-8")
    assert file.content == expected.read_text(encoding="utf-8")


def test_template_literal_escapes() -> None:
    assert typeorm_render.template_literal("a `b` ${c} \\d") == "a \\`b\\` \\${c} \\\\d"


def test_javascript_migration(tmp_path: Path) -> None:
    plan, analysis = _plan(tmp_path, "postgresql", '--add-column "deals.note text"')
    js = MigrationPlan(
        plan.operations, plan.before, "postgresql", plan.description, "x/1767323045000-Note.js"
    )
    (file,) = typeorm_render.render(
        analysis.repo,  # type: ignore[attr-defined]
        analysis.config,  # type: ignore[attr-defined]
        analysis.history,  # type: ignore[attr-defined]
        js,
    )
    assert "module.exports = class Note1767323045000 {" in file.content
    assert "    async up(queryRunner) {" in file.content
    assert "@implements {MigrationInterface}" in file.content


def test_prettier_config_changes_the_layout(tmp_path: Path) -> None:
    repo = copy_repo(REPO, tmp_path)
    (repo / ".prettierrc").write_text('{ "singleQuote": true }\n')
    analysis = analyse(repo)
    before = _before("postgresql")
    req = parse_request('--add-column "deals.note text"', schema=before)
    plan = MigrationPlan(
        req.operations, before, "postgresql", req.description, analysis.next_name("note", NOW)
    )
    (file,) = typeorm_render.render(analysis.repo, analysis.config, analysis.history, plan)
    assert "  name = 'Note1767323045000';\n\n  public async up" in file.content
    assert file.content.endswith("  }\n}\n")


ENTITY_REQUEST = (
    '--add-column "deals.shipped_at timestamptz" '
    '--add-column "deals.priority integer not null default 3" '
    '--drop-column "contacts.phone" --rename-column "users.full_name to display_name" '
    '--rename-column "users.email to email_address" '
    '--alter-table "deals alter column title type varchar(300), '
    'alter column close_date set not null" '
    '--rename-table "activities to events" --add-index "deals (shipped_at)"'
)


def test_entities_follow_the_migration(tmp_path: Path) -> None:
    repo = copy_repo(REPO, tmp_path)
    analysis = analyse(repo)
    before = apply_all(parse_request(BASE).operations, Schema())
    req = parse_request(ENTITY_REQUEST, schema=before)
    plan = MigrationPlan(req.operations, before, "postgresql", req.description, "x.ts")
    update = update_entities(analysis.repo, analysis.config, plan)
    files = {f.path.rsplit("/", 1)[-1]: f for f in update.files}
    assert all(f.kind == "model" and f.existing for f in files.values())
    assert sorted(files) == ["Activity.ts", "Contact.ts", "Deal.ts", "User.ts"]
    deal = files["Deal.ts"].content
    assert (
        '    @CreateDateColumn({ name: "created_at" })\n    createdAt: Date;\n\n'
        '    @Column({ name: "shipped_at", type: "timestamptz", nullable: true })\n'
        "    shippedAt: Date | null;\n\n"
        '    @Column({ type: "integer", default: 3 })\n    priority: number;\n}\n'
    ) in deal
    assert '@Column({ type: "varchar", length: 300 })\n    title: string;' in deal
    assert '@Column({ name: "close_date", type: "date" })\n    closeDate: string;' in deal
    assert "phone" not in files["Contact.ts"].content
    assert "email: string | null;\n\n    @CreateDateColumn" in files["Contact.ts"].content
    user = files["User.ts"].content
    assert '@Column({ name: "display_name", type: "varchar", length: 120 })' in user
    assert '@Column({ name: "email_address", type: "varchar", length: 255, unique: true })' in user
    assert '@Entity("events")\nexport class Activity {' in files["Activity.ts"].content
    assert update.notes == (
        "entity not updated for: + create index ix_deals_shipped_at on deals (shipped_at)",
    )
    untouched = (repo / "src/entity/Deal.ts").read_text()
    assert deal.startswith(untouched[: untouched.index("@Entity")])  # the rest is kept as is


@pytest.mark.skipif(not prettier_available(), reason="npm ci in tests/js installs prettier")
@pytest.mark.parametrize(("golden", "dialect", "request_text"), GOLDEN_CASES)
def test_prettier_leaves_it_alone(
    tmp_path: Path, golden: str, dialect: str, request_text: str
) -> None:
    repo = copy_repo(REPO, tmp_path)
    (repo / ".prettierrc").write_text('{ "singleQuote": true }\n')
    analysis = analyse(repo)
    before = _before(dialect)
    req = parse_request(request_text, dialect=dialect, schema=before)
    name = analysis.next_name(req.description, NOW)
    plan = MigrationPlan(req.operations, before, dialect, req.description, name)
    (file,) = typeorm_render.render(analysis.repo, analysis.config, analysis.history, plan)
    path = tmp_path / "out.ts"
    path.write_text(file.content, encoding="utf-8")
    assert prettier_check(path, ["--single-quote"]) == file.content
