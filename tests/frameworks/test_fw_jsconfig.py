"""The JS/TS reader under the five JavaScript adapters: tokens, values, exports, classes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migwright.tools.frameworks.jsconfig import JsModule
from migwright.tools.frameworks.jslex import JsExpr, JsSyntaxError, display, tokenize
from migwright.tools.frameworks.jsproject import kebab, pascal, snake, stamp14, stamp_ms, words
from migwright.tools.frameworks.jssource import classes, exported_names, imports


def exported(source: str) -> object:
    return JsModule(source).default_export()


# ---------------------------------------------------------------------- tokens


def test_strings_comments_and_regexes_do_not_fool_the_tokenizer() -> None:
    source = (
        "// client: 'mysql' in a comment\n"
        "/* { unbalanced in a block comment */\n"
        "const re = /[}'\"]+\\//g; const url = 'http://x/*not a comment*/';\n"
        "const t = `a ${ `nested ${1 + 2}` } }`;\n"
        "const ratio = 4 / 2 / 1;\n"
    )
    tokens = tokenize(source)
    texts = [t.text for t in tokens]
    assert "mysql" not in " ".join(texts)
    assert "http://x/*not a comment*/" in texts
    assert [t.kind for t in tokens if t.kind in ("regex", "template")] == ["regex", "template"]
    assert tokens[-1].line == 5


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("const a = 'x;\n", 1, "unterminated string"),
        ("const a = 1;\n/* never closed\n", 2, "unterminated /*"),
        ("const a = `x ${ y\n", 1, "unterminated"),
        ("const a = { b: [1, 2 };\n", 1, "closed by '}'"),
        ("function f() {\n  return 1;\n", 1, "never closed"),
        ("a = 1;\n}\n", 2, "unmatched"),
    ],
)
def test_syntax_errors_name_their_line(source: str, line: int, message: str) -> None:
    with pytest.raises(JsSyntaxError) as caught:
        tokenize(source)
    assert caught.value.line == line
    assert message in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}[]()'\"`/*\\$ \nab=:,.;!?-+0")), max_size=60))
def test_any_text_either_reads_or_raises_a_syntax_error(source: str) -> None:
    try:
        module = JsModule(source)
    except JsSyntaxError as exc:
        assert exc.line >= 1
        return
    module.default_export()
    exported_names(module)
    classes(module)
    imports(module)


# ---------------------------------------------------------------------- values


def test_objects_constants_spreads_and_shorthand() -> None:
    source = """
const base = { client: 'pg', pool: { min: 2, max: 10 } };
const migrations = { directory: './db/migrations', tableName: "knex_migrations" };
module.exports = {
  development: { ...base, migrations, debug: true, port: 5_432, ratio: -0.5, none: null },
  ['computed']: 1,
  async afterCreate(conn, done) { done(); },
  'quoted-key': `plain`,
};
"""
    value = exported(source)
    assert isinstance(value, dict)
    assert value["development"] == {
        "client": "pg",
        "pool": {"min": 2, "max": 10},
        "migrations": {"directory": "./db/migrations", "tableName": "knex_migrations"},
        "debug": True,
        "port": 5432,
        "ratio": -0.5,
        "none": None,
    }
    assert value["quoted-key"] == "plain"
    assert isinstance(value["afterCreate"], JsExpr)
    assert "computed" not in value


def test_environment_values_are_named_never_resolved() -> None:
    value = exported(
        "export default {\n"
        "  a: process.env.DATABASE_URL,\n"
        '  b: process.env["DB_HOST"] ?? "localhost",\n'
        "  c: process.env.DATABASE_URL!,\n"
        "  d: `postgres://${process.env.PGUSER}@db/app`,\n"
        "  e: Number(process.env.PORT) || 5432,\n"
        "  f: process.env.NODE_ENV === 'production' ? 'x' : 'y',\n"
        "};\n"
    )
    assert isinstance(value, dict)
    assert value["a"] == value["c"] == "${DATABASE_URL}"
    assert value["d"] == "postgres://${PGUSER}@db/app"
    assert display(value["b"]) == '${DB_HOST} ?? "localhost"'
    assert display(value["e"]) == "Number(${PORT}) || 5432"
    assert display(value["f"]) == "${NODE_ENV} === 'production' ? 'x' : 'y'"


def test_paths_and_typescript_wrappers() -> None:
    source = """
import path from "path";
import { defineConfig } from "drizzle-kit";
const dir: string = path.resolve(__dirname, "db", "migrations");
export default defineConfig({
  a: path.join("src", "migrations/"),
  b: __dirname + "/migrations/*.{ts,js}",
  c: dir,
  d: process.cwd(),
  e: ["x", ...["y", "z"]] as const,
  f: { g: 1 } satisfies Record<string, number>,
  h: require("./other").value,
});
"""
    value = exported(source)
    assert isinstance(value, dict)
    assert value["a"] == "src/migrations"
    assert value["b"] == "__dirname/migrations/*.{ts,js}"
    assert value["c"] == "__dirname/db/migrations"
    assert value["d"] == ""
    assert value["e"] == ["x", "y", "z"]
    assert value["f"] == {"g": 1}
    assert display(value["h"]) == 'require("./other").value'


def test_new_expression_arguments_and_constants_they_name() -> None:
    module = JsModule(
        'import { DataSource } from "typeorm";\n'
        'const options = { type: "postgres", migrations: ["src/m/*.ts"] };\n'
        "export const A = new DataSource(options);\n"
        'export const B = new typeorm.DataSource({ type: "sqlite" });\n'
    )
    assert module.find_new("DataSource") == [
        ({"type": "postgres", "migrations": ["src/m/*.ts"]}, 3),
        ({"type": "sqlite"}, 4),
    ]


# ---------------------------------------------------------------------- exports, imports, classes


@pytest.mark.parametrize(
    "source",
    [
        "exports.up = function (knex) {};\nexports.down = (knex) => knex;\n",
        "module.exports.up = async () => {};\nmodule.exports.down = async () => {};\n",
        "export async function up(knex: Knex): Promise<void> {}\nexport const down = () => {};\n",
        "module.exports = {\n  async up(q, S) { const down = 1; },\n  down: async () => {},\n};\n",
        "const up = () => {};\nconst down = () => {};\nmodule.exports = { up, down };\n",
        "const migration = { up() {}, down() {} };\nmodule.exports = migration;\n",
        "async function up() {}\nasync function down() {}\nexport { up, down };\n",
    ],
)
def test_up_and_down_are_found_in_every_export_style(source: str) -> None:
    assert set(exported_names(JsModule(source))) >= {"up", "down"}


def test_names_inside_function_bodies_are_not_exports() -> None:
    names = exported_names(
        JsModule("module.exports = {\n  up() {\n    const down = 1;\n  },\n};\n")
    )
    assert names == {"up": 2}


def test_imports_and_requires() -> None:
    module = JsModule(
        'import type { Knex } from "knex";\n'
        'import Default, { A, B as C } from "./a";\n'
        'import * as ns from "./ns";\n'
        "const path = require('path');\n"
        "const { X, Y } = require('./xy');\n"
    )
    assert imports(module) == {
        "Knex": "knex",
        "Default": "./a",
        "A": "./a",
        "C": "./a",
        "ns": "./ns",
        "path": "path",
        "X": "./xy",
        "Y": "./xy",
    }


def test_classes_with_methods_and_properties() -> None:
    [first, second] = classes(
        JsModule(
            "class Helper {}\n"
            "export class Add1700000000000 implements MigrationInterface {\n"
            "    name = 'Add1700000000000'\n"
            "    public transaction: boolean = false;\n"
            "    public async up(queryRunner: QueryRunner): Promise<void> {\n"
            "        const down = 1;\n"
            "    }\n"
            "    async down(q) {}\n"
            "}\n"
        )
    )
    assert (first.name, first.exported) == ("Helper", False)
    assert (second.name, second.line, second.exported) == ("Add1700000000000", 2, True)
    assert second.heritage == "implements MigrationInterface"
    assert second.methods == {"up": 5, "down": 8}
    assert second.properties == {"name": "Add1700000000000", "transaction": False}


# ---------------------------------------------------------------------- names and clocks


def test_slugs() -> None:
    assert words("Add shippedAt to orders") == ["add", "shipped", "at", "to", "orders"]
    assert snake("add shipped_at to orders") == "add_shipped_at_to_orders"
    assert kebab("Add HTTPHeaders table") == "add-http-headers-table"
    assert pascal("add shipped_at to orders") == "AddShippedAtToOrders"
    assert snake("!!!") == "migration" and pascal("") == "Migration"


def test_stamps_are_utc_and_move_forward() -> None:
    paris = timezone(timedelta(hours=1))
    now = datetime(2026, 1, 2, 4, 4, 5, tzinfo=paris)
    assert stamp14(now) == "20260102030405"
    assert stamp14(datetime(2026, 1, 2, 3, 4, 5)) == "20260102030405"  # naive = UTC
    assert stamp14(now, ["20260102030405_same", "junk"]) == "20260102030406"
    assert stamp_ms(now) == 1767323045000
