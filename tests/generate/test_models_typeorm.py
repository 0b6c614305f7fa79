"""A TypeORM entity for a table the migration creates, judged by TypeORM itself.

`migwright new --update-models` on a TypeORM repo writes the migration, a new entity class for
the created table and the data source's entity list. After the migration ran on a scratch
database, TypeORM's schema builder (what `typeorm schema:log` prints) is asked what it would
change. On PostgreSQL (the typeorm-crm example): nothing, for the new table and the old ones.

On SQLite (a small library repo written the way TypeORM's docs write one; typeorm-crm's
entities use PostgreSQL-only column types) TypeORM reads constraint names and AUTOINCREMENT
from the table's CREATE TABLE text, and only when they are spelled its own way
(`CONSTRAINT "name"`, `"id" integer PRIMARY KEY AUTOINCREMENT`); migwright's SQLite migration
spells them plainly, so TypeORM would rebuild the new table to rename them. What is proved
there: its log touches only the new table, and after TypeORM ran it (`synchronize`) the
table's columns, types, nullability, defaults, keys, index and check are what they were, with
only constraint names changed. The new file must also be what prettier prints.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from js_roundtrip import prettier_available, prettier_check
from models_cli import copy_repo, new_json, step, written
from typeorm_schema_log import schema_log

from migwright.tools.analysis import analyse
from migwright.tools.frameworks import typeorm_runner
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.frameworks.typeorm_entities import update_entities
from migwright.tools.introspect import introspect
from migwright.tools.schema import Schema
from migwright.tools.scratch import create_scratch
from migwright.tools.spec import parse_request

CRM_REQUEST = (
    "--create-table",
    "notes (id integer generated always as identity primary key, "
    "deal_id integer not null references deals(id) on delete cascade, "
    "parent_id integer references notes(id) on delete set null, body text not null, "
    "url varchar(300) unique, score integer default 0, "
    "created_at timestamptz not null default now(), check (score >= 0))",
    "--add-index",
    "notes (score, created_at)",
)

LIBRARY_REQUEST = (
    "--create-table",
    "books (id integer generated always as identity primary key, "
    "author_id integer not null references authors(id) on delete cascade, "
    "title varchar(200) not null, isbn varchar(13) unique, pages integer default 100, "
    "published_on date, check (pages > 0))",
    "--add-index",
    "books (title)",
)

LIBRARY = {
    "package.json": '{\n    "name": "library",\n    "private": true,\n'
    '    "dependencies": { "better-sqlite3": "^12.0.0", "reflect-metadata": "^0.2.2", '
    '"typeorm": "^0.3.31" }\n}\n',
    "tsconfig.json": '{\n    "compilerOptions": {\n        "target": "es2021",\n'
    '        "module": "commonjs",\n        "experimentalDecorators": true,\n'
    '        "emitDecoratorMetadata": true,\n        "strict": false\n    }\n}\n',
    "src/data-source.ts": """import "reflect-metadata";
import { DataSource } from "typeorm";
import { Author } from "./entity/Author";

export const AppDataSource = new DataSource({
    type: "better-sqlite3",
    database: "library.sqlite",
    entities: [Author],
    migrations: [__dirname + "/migrations/*.ts"],
});
""",
    "src/entity/Author.ts": """import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

@Entity("authors")
export class Author {
    @PrimaryGeneratedColumn()
    id: number;

    @Column({ type: "varchar", length: 100 })
    name: string;
}
""",
    "src/migrations/1704067200000-CreateAuthors.ts": """import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateAuthors1704067200000 implements MigrationInterface {
    name = "CreateAuthors1704067200000";

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(
            `CREATE TABLE "authors" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(100) NOT NULL)`,
        );
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "authors"`);
    }
}
""",
}


def _library(tmp_path: Path) -> Path:
    repo = tmp_path / "typeorm-library"
    for path, text in LIBRARY.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return repo


def _log_after_migrating(
    repo: Path, dialect: str, tmp_path: Path
) -> tuple[list[str], Schema, Schema]:
    """TypeORM's schema diff of all the repo's entities against its migrated history, and the
    schema before and after TypeORM ran that diff (names of constraints left out)."""
    analysis = analyse(repo)
    server = None if dialect == "sqlite" else require_server(dialect)
    entities = sorted(p.relative_to(repo).as_posix() for p in (repo / "src/entity").glob("*.ts"))
    bookkeeping = [analysis.config.settings.get("migrationsTableName") or "migrations"]
    with create_scratch(dialect, server) as db:
        typeorm_runner.apply(analysis.repo, analysis.config, db)
        before = introspect(db.engine(), exclude=bookkeeping)
        log = schema_log(repo, entities, db, tmp_path, sync=True)
        after = introspect(db.engine(), exclude=bookkeeping)
    return log, _unnamed(before), _unnamed(after)


def _unnamed(schema: Schema) -> Schema:
    """The schema with constraint names left out (indexes keep theirs: TypeORM reads them)."""
    return Schema(
        tuple(
            replace(
                t,
                uniques=tuple(replace(u, name=None) for u in t.uniques),
                foreign_keys=tuple(replace(f, name=None) for f in t.foreign_keys),
                checks=tuple(replace(c, name=None) for c in t.checks),
            )
            for t in schema.tables
        ),
        schema.enums,
    ).normalized()


def _prettier_options(repo: Path) -> list[str]:
    return ["--tab-width", "4", "--print-width", "120"] if repo.name == "typeorm-crm" else [
        "--tab-width", "4"
    ]  # fmt: skip


@pytest.mark.parametrize("dialect", dialect_params("sqlite", "postgresql"))
def test_new_entity_matches_the_migrated_table(tmp_path: Path, dialect: str) -> None:
    if dialect == "sqlite":
        repo, request, entity, cls = _library(tmp_path), LIBRARY_REQUEST, "Book.ts", "Book"
    else:
        repo, request, entity, cls = (
            copy_repo("typeorm-crm", tmp_path),
            CRM_REQUEST,
            "Note.ts",
            "Note",
        )
    assert _log_after_migrating(repo, dialect, tmp_path / "before")[0] == [], "a clean start"
    data = new_json(repo, tmp_path, "--update-models", *request)
    files = written(data, repo)
    assert f"src/entity/{entity}" in files and "src/data-source.ts" in files
    diffs = {d["path"]: d["diff"] for d in step(data, "generate")["outputs"]["model_diffs"]}
    assert diffs[f"src/entity/{entity}"].startswith(f"--- /dev/null\n+++ b/src/entity/{entity}\n")
    source = (repo / "src/data-source.ts").read_text()
    assert f'import {{ {cls} }} from "./entity/{cls}";' in source
    assert f", {cls}]," in source

    log, migrated, synchronized = _log_after_migrating(repo, dialect, tmp_path / "after")
    table = "books" if dialect == "sqlite" else "notes"
    if dialect == "postgresql":
        assert log == [], "TypeORM would change the migrated schema:\n" + "\n".join(log)
    else:
        assert log and all(table in q for q in log), "\n".join(log)
        assert synchronized == migrated, "TypeORM changed more than names:\n" + "\n".join(log)

    text = (repo / "src/entity" / entity).read_text()
    assert f"export class {cls} {{" in text
    assert "@ManyToOne(() => " in text and "foreignKeyConstraintName" in text
    if prettier_available():
        assert prettier_check(repo / "src/entity" / entity, _prettier_options(repo)) == text


def test_without_update_models_the_entity_is_only_shown(tmp_path: Path) -> None:
    repo = _library(tmp_path)
    data = new_json(repo, tmp_path, "--no-validate", *LIBRARY_REQUEST)
    assert not (repo / "src/entity/Book.ts").exists()
    paths = [d["path"] for d in step(data, "generate")["outputs"]["model_diffs"]]
    assert paths == ["src/data-source.ts", "src/entity/Book.ts"]


# ---------------------------------------------------------------------------------------------
# The file's shape, without a database
# ---------------------------------------------------------------------------------------------


def _entities_for(repo: Path, request: str, dialect: str = "postgresql") -> dict[str, str]:
    analysis = analyse(repo)
    before = analysis_schema(repo, dialect)
    req = parse_request(request, dialect=dialect, schema=before)
    plan = MigrationPlan(req.operations, before, dialect, req.description, "x.ts")
    update = update_entities(analysis.repo, analysis.config, plan)
    return {f.path: f.content for f in update.files}


def analysis_schema(repo: Path, dialect: str):  # type: ignore[no-untyped-def]
    """The library's schema as its one migration leaves it (read from the migration)."""
    from migwright.tools.schema import Column, Schema, Table

    authors = Table(
        "authors",
        (Column("id", "integer", False, identity=True), Column("name", "varchar(100)", False)),
        primary_key=("id",),
    )
    return Schema((authors,))


def test_foreign_key_onto_a_table_without_entity_stays_a_column(tmp_path: Path) -> None:
    repo = _library(tmp_path)
    (repo / "src/entity/Author.ts").unlink()
    files = _entities_for(
        repo,
        '--create-table "books (id integer generated always as identity primary key, '
        'author_id integer references authors(id))"',
    )
    text = files["src/entity/Book.ts"]
    assert "// references authors(id) (no entity class for it, so no relation)" in text
    assert '@Column({ name: "author_id", type: "integer", nullable: true })' in text
    assert "ManyToOne" not in text


def test_nest_style_entity_files_and_prettier_config(tmp_path: Path) -> None:
    repo = _library(tmp_path)
    (repo / "src/entity/Author.ts").rename(repo / "src/entity/author.entity.ts")
    (repo / "src/data-source.ts").write_text(
        (repo / "src/data-source.ts")
        .read_text()
        .replace("./entity/Author", "./entity/author.entity")
    )
    (repo / ".prettierrc").write_text('{ "singleQuote": true, "printWidth": 80 }\n')
    files = _entities_for(repo, " ".join(f'"{a}"' if " " in a else a for a in LIBRARY_REQUEST))
    path = "src/entity/book.entity.ts"
    text = files[path]
    assert "import { Author } from './author.entity';" in text
    assert "@Entity('books')" in text
    assert "import { Book } from './entity/book.entity';" in files["src/data-source.ts"]
    if prettier_available():
        out = tmp_path / "book.ts"
        out.write_text(text)
        assert prettier_check(out, ["--single-quote"]) == text
