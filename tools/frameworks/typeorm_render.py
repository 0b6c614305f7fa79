"""TypeORM migrations written the way `typeorm migration:generate` writes them.

TypeORM's own generator compares the entities with the database and writes a class whose
`up` and `down` are `await queryRunner.query(`...`)` calls holding the SQL of the data
source's driver; that is what a TypeORM maintainer expects to review, so the statements come
from `tools/sql.py` for the plan's dialect and only the framing is TypeORM's: the class is
`<Name><ms>` with `name = '<Name><ms>'` (the row TypeORM records), in `<ms>-<Name>.ts`.

Statements that must run outside a transaction (CREATE INDEX CONCURRENTLY, SQLite's
`PRAGMA foreign_keys` around a table rebuild) make the class say `transaction = false`, and the
migration then opens its own transactions around the statements that can share one, as
`queryRunner.startTransaction()` allows. TypeORM refuses such a class under its default
`migration:run --transaction all`, and `migration:revert` ignores the property, so the class
carries a comment with the flags to use (`-t each`, `-t none`).

Without a prettier config the file follows TypeORM's template byte for byte (four-space
indent, `name = '...'` without a semicolon, a blank line before the closing brace); with one,
it is what prettier prints for the same class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import backfill
from .. import ops as o
from ..dialects import get as get_dialect
from ..errors import ConfigError
from ..repo import RepoFacts
from ..schema import Schema
from ..sql import Statement
from ..sql import render as render_sql
from ..sqlscript import split_sql
from .base import FrameworkConfig, History
from .js_backfill import Host, loop_lines
from .jsrender import JsStyle, prettier_config, quote, style_for
from .render import File, MigrationPlan

_NAME = re.compile(r"(?:^|/)(\d{13})-([A-Za-z_$][\w$]*)\.([cm]?[jt]s)$")
_FK_CHECK = "PRAGMA foreign_key_check"
#: Longest comment line before wrapping (prettier leaves comments alone; reviewers do not).
_COMMENT_WIDTH = 88


@dataclass(frozen=True)
class Layout:
    """How this repo writes a migration class (TypeORM's template or prettier's output)."""

    indent: str = "    "
    name_quote: str = "'"
    semi: bool = False  # after the class fields (`name = '...'`)
    statement_semi: bool = True  # after statements (TypeORM's template always has them)
    blank_before_close: bool = True  # TypeORM's template ends the class with an empty line
    typescript: bool = True
    esm: bool = True  # JS only: `export class` rather than `module.exports = class`
    import_quote: str = '"'
    #: prettier's printWidth and trailing commas; None keeps TypeORM's template as it is
    width: int | None = None
    trailing_comma: bool = True

    @property
    def end(self) -> str:
        return ";" if self.semi else ""

    @property
    def stmt_end(self) -> str:
        return ";" if self.statement_semi else ""


def layout_for(repo: RepoFacts, config: FrameworkConfig, history: History, path: str) -> Layout:
    """The repo's prettier style when it has a prettier config, else TypeORM's own template."""
    ext = path.rsplit(".", 1)[-1]
    typescript = ext in ("ts", "mts", "cts")
    esm = ext == "mjs" or (ext == "js" and _package_type(repo, config.root) == "module")
    if prettier_config(repo, config.root) is None:
        return Layout(typescript=typescript, esm=esm)
    style: JsStyle = style_for(repo, [m.path for m in history.migrations[-3:]], config.root)
    return Layout(
        style.indent,
        style.quote,
        style.semi,
        style.semi,
        False,
        typescript,
        esm,
        style.quote,
        style.width,
        style.trailing_comma,
    )


def _package_type(repo: RepoFacts, root: str) -> str:
    manifest = "package.json" if root in ("", ".") else f"{root}/package.json"
    if manifest not in repo.files:
        return "commonjs"
    try:
        data = json.loads(repo.read(manifest))
    except ValueError:
        return "commonjs"
    kind = data.get("type") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else "commonjs"


def class_name(path: str) -> str:
    """`src/migrations/1767323045000-AddShippedAt.ts` -> `AddShippedAt1767323045000`."""
    m = _NAME.search(path)
    if not m:
        raise ConfigError(
            f"{path}: not a TypeORM migration name (<13-digit timestamp>-<Name>.ts)",
            "name the migration with TypeORM.next_name()",
        )
    return f"{m[2]}{m[1]}"


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    """The migration class at `plan.name`: up from the plan, down from its reverse."""
    layout = layout_for(repo, config, history, plan.name)
    name = class_name(plan.name)
    up = render_sql(plan.operations, plan.before, plan.dialect)
    down = render_sql(plan.reverse.operations, plan.after, plan.dialect) if plan.reverse.ok else []
    writer = _Writer(layout, plan.dialect)
    writer.loops = writer.backfills(plan.operations, plan.before)
    down_loops = writer.backfills(plan.reverse.operations, plan.after) if plan.reverse.ok else {}
    own = not all(s.transactional for s in (*up, *down)) or bool(writer.loops or down_loops)
    fields = [f"name = {layout.name_quote}{name}{layout.name_quote}{layout.end}"]
    if own:
        why = _why_outside(up + down)
        fields += _comment(
            f"{why}, so this class runs outside TypeORM's transaction and opens its own around "
            "the rest. Run it with `typeorm migration:run -t each` and revert it with "
            "`typeorm migration:revert -t none`."
        )
        fields.append(f"transaction = false{layout.end}")
    up_body = writer.body(plan.operations, up, own)
    writer.loops = down_loops
    if plan.reverse.ok:
        down_body = _loss_note(plan.reverse.data_loss) + writer.body(
            plan.reverse.operations, down, own
        )
    else:
        down_body = _irreversible(name, plan.reverse.irreversible, layout)
    text = _class_text(name, fields, up_body, down_body, layout)
    return [File(plan.name, text, kind="migration")]


def _why_outside(statements: Sequence[Statement]) -> str:
    first = next((s for s in statements if not s.transactional), None)
    if first is None:
        return "A batched backfill commits each batch by itself"
    words = " ".join(first.sql.split()[:4])
    return f"`{words} ...` cannot run inside a transaction"


def _loss_note(losses: Sequence[str]) -> list[str]:
    if not losses:
        return []
    return _comment("The down cannot bring back " + "; ".join(losses) + ".")


def _irreversible(
    name: str, blocked: Sequence[tuple[o.Operation, o.Irreversible]], layout: Layout
) -> list[str]:
    reasons = [f"{op.describe().lstrip('+-~ ').strip()}: {why.reason}" for op, why in blocked]
    lines = _comment("Irreversible. " + " ".join(f"{r}." for r in reasons))
    message = f"{name} cannot be reverted (see the comment above)"
    lines.append(f"throw new Error({quote(message, _style(layout))}){layout.stmt_end}")
    return lines


def _style(layout: Layout) -> JsStyle:
    return JsStyle(quote=layout.name_quote, semi=layout.statement_semi, indent=layout.indent)


def _class_text(
    name: str, fields: list[str], up: list[str], down: list[str], layout: Layout
) -> str:
    i = layout.indent
    lines: list[str] = []
    if layout.typescript:
        q = layout.import_quote
        lines += [
            f"import {{ MigrationInterface, QueryRunner }} from {q}typeorm{q}{layout.stmt_end}",
            "",
        ]
        lines.append(f"export class {name} implements MigrationInterface {{")
    else:
        lines += [
            "/**",
            " * @typedef {import('typeorm').MigrationInterface} MigrationInterface",
            " * @typedef {import('typeorm').QueryRunner} QueryRunner",
            " */",
            "",
            "/**",
            " * @class",
            " * @implements {MigrationInterface}",
            " */",
            f"{'export' if layout.esm else 'module.exports ='} class {name} {{",
        ]
    lines += [f"{i}{f}" if f else "" for f in fields]
    for method, body in (("up", up), ("down", down)):
        lines.append("")
        if layout.typescript:
            lines.append(f"{i}public async {method}(queryRunner: QueryRunner): Promise<void> {{")
        else:
            lines += [f"{i}/**", f"{i} * @param {{QueryRunner}} queryRunner", f"{i} */"]
            lines.append(f"{i}async {method}(queryRunner) {{")
        lines += [f"{i * 2}{line}" if line else "" for line in body]
        lines.append(f"{i}}}")
    if layout.blank_before_close and layout.typescript:
        lines.append("")
    lines.append("}")
    if layout.width is not None:
        lines = [out for line in lines for out in _break_call(line, layout)]
    return "\n".join(lines) + "\n"


_ONE_ARGUMENT_CALL = re.compile(
    r"^(?P<pad>\s*)(?P<head>await queryRunner\.query|throw new Error)\("
    r"(?P<arg>`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\)(?P<end>;?)$"
)


def _break_call(line: str, layout: Layout) -> list[str]:
    """A call with one string argument that overflows printWidth, broken as prettier does."""
    width = len(line.replace("\t", " " * max(len(layout.indent), 2)))
    m = _ONE_ARGUMENT_CALL.match(line)
    if m is None or layout.width is None or width <= layout.width:
        return [line]
    comma = "," if layout.trailing_comma else ""
    pad = m["pad"]
    return [f"{pad}{m['head']}(", f"{pad}{layout.indent}{m['arg']}{comma}", f"{pad}){m['end']}"]


# ---------------------------------------------------------------------------------------------
# Method bodies
# ---------------------------------------------------------------------------------------------


def _noop_lines(op: o.Operation) -> list[str]:
    reason = getattr(op, "reason", "")
    return _comment(f"Nothing to do: {reason}." if reason else "Nothing to do.")


def _no_lines(op: o.Operation) -> list[str]:
    return []


#: Lines an operation adds before its statements, by operation class (the rest say nothing:
#: their SQL and the statements' own notes speak for them).
_OP_LINES: dict[type[o.Operation], Callable[[o.Operation], list[str]]] = {
    o.NoOp: _noop_lines,
}


class _Writer:
    """Turns statements into the lines of `up` or `down` (relative to the method's indent)."""

    def __init__(self, layout: Layout, dialect: str = "postgresql") -> None:
        self.layout = layout
        self.dialect = get_dialect(dialect)
        #: Lines that replace an operation's statements, by its index (batched backfills).
        self.loops: dict[int, list[str]] = {}

    def backfills(self, operations: Sequence[o.Operation], before: Schema) -> dict[int, list[str]]:
        """The loop of each batched backfill (tools/backfill.py), by operation index."""
        out: dict[int, list[str]] = {}
        state = before
        for index, op in enumerate(operations):
            after = op.apply(state)
            if isinstance(op, o.Backfill) and op.batch_size:
                marks: backfill.Marks = "numeric" if self.dialect.name == "postgresql" else "qmark"
                b = backfill.batch_sql(
                    self.dialect, op, after, op.batch_size, marks, throttle_ms=op.throttle_ms or 0
                )
                out[index] = loop_lines(b, self._host())
            state = after
        return out

    def _host(self) -> Host:
        """How the loop sends SQL: queryRunner.query with the driver's own placeholders."""
        layout = self.layout

        def run(sql: str, params: str | None) -> str:
            return f"queryRunner.query({sql}, {params})" if params else f"queryRunner.query({sql})"

        return Host(
            run=run,
            first=lambda call: f"(await {call})[0]",
            quote=lambda text: quote(text, _style(layout)),
            indent=layout.indent,
            end=layout.stmt_end,
            width=(layout.width or 10**6) - 2 * len(layout.indent),
            typescript=layout.typescript,
        )

    def body(
        self, operations: Sequence[o.Operation], statements: Sequence[Statement], own: bool
    ) -> list[str]:
        lines: list[str] = []
        by_op: dict[int, list[Statement]] = {}
        for s in statements:
            by_op.setdefault(s.op_index, []).append(s)
        ordered: list[Statement] = []
        if self.loops:  # op by op: a loop stands alone, each op's statements in their own
            for index in range(len(operations)):
                lines += self.loops.get(index) or self._own_transactions(by_op.get(index, []))
            return lines or _comment("Nothing to do.")
        for index, op in enumerate(operations):
            lines_for_op = _OP_LINES.get(type(op), _no_lines)(op)
            if lines_for_op and not by_op.get(index):
                lines += lines_for_op
            ordered += by_op.get(index, [])
        if not ordered:
            return lines or _comment("Nothing to do.")
        if not own:
            return lines + [line for s in ordered for line in self.statement(s)]
        return lines + self._own_transactions(ordered)

    def _own_transactions(self, statements: Sequence[Statement]) -> list[str]:
        """Non-transactional statements alone; each run of the others in one transaction."""
        lines: list[str] = []
        run: list[Statement] = []
        for s in [*statements, None]:
            if s is not None and s.transactional:
                run.append(s)
                continue
            if run:
                lines += self._transaction(run)
                run = []
            if s is not None:
                lines += self.statement(s)
        return lines

    def _transaction(self, run: Sequence[Statement]) -> list[str]:
        i, end = self.layout.indent, self.layout.stmt_end
        inner = [f"{i}{line}" if line else "" for s in run for line in self.statement(s)]
        return [
            f"await queryRunner.startTransaction(){end}",
            "try {",
            *inner,
            f"{i}await queryRunner.commitTransaction(){end}",
            "} catch (error) {",
            f"{i}await queryRunner.rollbackTransaction(){end}",
            f"{i}throw error{end}",
            "}",
        ]

    def statement(self, statement: Statement) -> list[str]:
        lines = _comment(statement.note) if statement.note else []
        parts = split_sql(statement.sql) or []
        for part in parts if len(parts) > 1 else [None]:
            sql = statement.sql if part is None else part.sql
            if sql.strip() == _FK_CHECK:
                lines += self._fk_check()
            else:
                lines += self.query(sql)
        return lines

    def query(self, sql: str) -> list[str]:
        """`await queryRunner.query(`...`);`, multi-line SQL laid out as `--pretty` does."""
        escaped = template_literal(sql.strip())
        if "\n" not in escaped or _newline_in_string(sql):
            return [f"await queryRunner.query(`{escaped}`){self.layout.stmt_end}"]
        i = self.layout.indent
        body = [f"{i}{line}".rstrip() for line in escaped.splitlines()]
        return ["await queryRunner.query(`", *body, f"`){self.layout.stmt_end}"]

    def _fk_check(self) -> list[str]:
        i = self.layout.indent
        text = "the table rebuild broke foreign keys (PRAGMA foreign_key_check)"
        message = quote(text, _style(self.layout))
        return [
            f"if ((await queryRunner.query(`{_FK_CHECK}`)).length) {{",
            f"{i}throw new Error({message}){self.layout.stmt_end}",
            "}",
        ]


def template_literal(sql: str) -> str:
    """`sql` escaped for a JS template literal (backslash, backtick, `${`), as TypeORM does."""
    return sql.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def _newline_in_string(sql: str) -> bool:
    """True when a line break sits inside a quoted literal: indenting it would change data."""
    inside = ""
    for ch in sql:
        if inside:
            if ch == inside:
                inside = ""
            elif ch == "\n" and inside == "'":
                return True
        elif ch in "'":
            inside = ch
    return False


def _comment(text: str) -> list[str]:
    """`// ` lines wrapped at a readable width."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words, current = paragraph.split(), ""
        for word in words:
            if current and len(current) + 1 + len(word) > _COMMENT_WIDTH - 3:
                lines.append(f"// {current}")
                current = word
            else:
                current = f"{current} {word}" if current else word
        lines.append(f"// {current}".rstrip())
    return lines
