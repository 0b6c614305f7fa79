"""Django models kept in step with a new migration, so `makemigrations --check` stays quiet.

Django's models are the source of truth: after `new`, the state the migrations build must be
what models.py declares, or the next `makemigrations` writes a migration undoing ours. The
renderer already knows the state each operation implies (`DjOp.model_edits`, the very
`migrations.AddField(...)` / `CreateModel(...)` calls, or the state operations of a RunSQL);
this module replays those calls on the apps' models.py with libcst: fields added, removed,
renamed and altered, classes created and deleted, `Meta.db_table`, `Meta.indexes` and
`Meta.constraints` edited. Imports follow what the file now uses.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import libcst as cst

from ..errors import ConfigError
from ..repo import RepoFacts
from .base import FrameworkConfig, History
from .django_project import field_statements, source
from .django_render import translate
from .pycode import Call, Code, Seq, as_code, call, edit_imports, flat, line_length, lines
from .render import File, MigrationPlan


def update_models(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    """The models.py files the plan changes, as `File(kind="model", existing=True)`."""
    rendered = translate(repo, config, history, plan)
    width = line_length(repo.path(config.root))
    edited: dict[str, ModelsFile] = {}
    for op in rendered.operations:
        app = op.app or rendered.app
        folder = rendered.tx.project.apps[app]
        rel = f"{folder}/models.py"
        for edit in op.model_edits:
            _check_uses(repo, folder, edit)
        if rel not in edited:
            text = repo.read(rel) if rel in repo.files else "from django.db import models\n"
            edited[rel] = ModelsFile(cst.parse_module(text), text, width)
        for edit in op.model_edits:
            edited[rel].apply(edit)
    return [
        File(rel, models.finish(), kind="model", existing=rel in repo.files)
        for rel, models in sorted(edited.items())
        if models.changed
    ]


def _check_uses(repo: RepoFacts, folder: str, edit: Call) -> None:
    """Refuse to delete a model or field that the app's other modules still use (admin.py's
    imports, list_display): the project would stop starting, and `migrate` with it."""
    kind = edit.func.rsplit(".", 1)[-1]
    kwargs = dict(edit.kwargs)
    if kind == "DeleteModel":
        wanted, what = _text(kwargs["name"]), "model"
    elif kind == "RemoveField":
        wanted, what = _text(kwargs["name"]), "field"
    else:
        return
    uses: list[str] = []
    for rel in repo.under(folder):
        tail = rel[len(folder) + 1 :]
        if not rel.endswith(".py") or tail == "models.py" or tail.startswith("migrations/"):
            continue
        try:
            tree = ast.parse(repo.read(rel))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            hit = (
                (isinstance(node, ast.Name) and node.id == wanted and what == "model")
                or (isinstance(node, ast.alias) and node.name == wanted and what == "model")
                or (isinstance(node, ast.Constant) and node.value == wanted and what == "field")
            )
            if hit:
                uses.append(f"{rel}:{getattr(node, 'lineno', 1)}")
    if uses:
        raise ConfigError(
            f"the {what} {wanted} is still used in {', '.join(sorted(set(uses))[:4])}",
            f"remove those uses of {wanted} first (or keep the models as they are with "
            "--no-update-models)",
        )


class ModelsFile:
    """One models.py being edited."""

    def __init__(self, module: cst.Module, original: str, width: int) -> None:
        self.module = module
        self.original = original
        self.width = width
        self.changed = False
        self.imports: dict[str, set[str]] = {}

    # -- entry --------------------------------------------------------------------------------
    def apply(self, edit: Call) -> None:
        kind = edit.func.rsplit(".", 1)[-1]
        handler = _EDITS.get(kind)
        if handler is None:
            return
        kwargs = dict(edit.kwargs)
        handler(self, kwargs)
        self.changed = True
        for needed in _names_in(kwargs):
            self._need(needed)

    def finish(self) -> str:
        text = self.module.code
        return edit_imports(text, self.imports, {}, set(), self.width)

    # -- classes ------------------------------------------------------------------------------
    def cls(self, model_name: Code) -> cst.ClassDef:
        wanted = _text(model_name).lower()
        for node in self.module.body:
            if isinstance(node, cst.ClassDef) and node.name.value.lower() == wanted:
                return node
        raise ConfigError(
            f"no model class {wanted} in the models module", "update the models by hand"
        )

    def replace(self, old: cst.ClassDef, new: cst.ClassDef | None) -> None:
        body = [new if n is old else n for n in self.module.body]
        self.module = self.module.with_changes(body=[n for n in body if n is not None])

    def statement(self, code: Code, prefix: str, indent: int = 4) -> cst.BaseStatement:
        text = "\n".join(line[indent:] for line in lines(code, indent, self.width, prefix))
        return cst.parse_statement(text + "\n")

    def _need(self, name: str) -> None:
        if name == "Now" or name == "Lower":
            self.imports.setdefault("django.db.models.functions", set()).add(name)
        elif name == "settings":
            self.imports.setdefault("django.conf", set()).add("settings")


# ---------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------


def model_field(code: Code) -> Code:
    """A migration's field as models.py writes it: the relation's target first, positional."""
    if not isinstance(code, Call):
        return code
    kwargs = dict(code.kwargs)
    target = kwargs.pop("to", None)
    if target is None:
        return code
    return call(code.func, target, **kwargs)


def _body(node: cst.ClassDef) -> list[cst.BaseStatement]:
    return list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []


def _with_body(node: cst.ClassDef, body: list[cst.BaseStatement]) -> cst.ClassDef:
    return node.with_changes(body=node.body.with_changes(body=body))


def _field_stmt(node: cst.ClassDef, name: str) -> cst.SimpleStatementLine:
    for found in field_statements(node):
        if found.attr == name and found.stmt is not None:
            return found.stmt
    raise ConfigError(f"model {node.name.value} has no field {name}", "update the models by hand")


def _add_field(mf: ModelsFile, kw: dict[str, Code]) -> None:
    node = mf.cls(kw["model_name"])
    stmt = mf.statement(model_field(kw["field"]), f"{_text(kw['name'])} = ")
    fields = field_statements(node)
    body = _body(node)
    if fields and fields[-1].stmt is not None:
        at = body.index(fields[-1].stmt) + 1
    else:
        at = next(
            (i for i, s in enumerate(body) if isinstance(s, cst.ClassDef | cst.FunctionDef)),
            len(body),
        )
    mf.replace(node, _with_body(node, [*body[:at], stmt, *body[at:]]))


def _remove_field(mf: ModelsFile, kw: dict[str, Code]) -> None:
    node = mf.cls(kw["model_name"])
    stmt = _field_stmt(node, _text(kw["name"]))
    mf.replace(node, _with_body(node, [s for s in _body(node) if s is not stmt]))


def _alter_field(mf: ModelsFile, kw: dict[str, Code]) -> None:
    node = mf.cls(kw["model_name"])
    name = _text(kw["name"])
    stmt = _field_stmt(node, name)
    new = mf.statement(model_field(kw["field"]), f"{name} = ")
    mf.replace(node, _with_body(node, [new if s is stmt else s for s in _body(node)]))


def _rename_field(mf: ModelsFile, kw: dict[str, Code]) -> None:
    node = mf.cls(kw["model_name"])
    old, new = _text(kw["old_name"]), _text(kw["new_name"])
    stmt = _field_stmt(node, old)
    small = stmt.body[0]
    assert isinstance(small, cst.Assign)
    renamed = stmt.with_changes(
        body=[small.with_changes(targets=[cst.AssignTarget(target=cst.Name(new))])]
    )
    body = [renamed if s is stmt else s for s in _body(node)]
    node2 = _with_body(node, body)
    mf.replace(node, _rename_in_meta(node2, old, new))


def _rename_in_meta(node: cst.ClassDef, old: str, new: str) -> cst.ClassDef:
    """Field names in Meta (`fields=[...]` of indexes and constraints, `ordering`)."""

    class Renamer(cst.CSTTransformer):
        def leave_SimpleString(
            self, original_node: cst.SimpleString, updated_node: cst.SimpleString
        ) -> cst.SimpleString:
            value = original_node.evaluated_value
            if value in (old, f"-{old}"):
                return updated_node.with_changes(value=f'"{str(value).replace(old, new)}"')
            return updated_node

    body = [
        s.visit(Renamer()) if isinstance(s, cst.ClassDef) and s.name.value == "Meta" else s
        for s in _body(node)
    ]
    return _with_body(node, body)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Models and Meta
# ---------------------------------------------------------------------------------------------


def _create_model(mf: ModelsFile, kw: dict[str, Code]) -> None:
    name = _text(kw["name"])
    out = [f"class {name}(models.Model):"]
    fields = kw.get("fields")
    for pair in fields.items if isinstance(fields, Seq) else ():
        assert isinstance(pair, Seq)
        attr, code = _text(pair.items[0]), pair.items[1]
        out += [line for line in lines(model_field(code), 4, mf.width, f"{attr} = ")]
    options = kw.get("options")
    if isinstance(options, Seq) and options.items:
        out += ["", "    class Meta:"]
        for item in options.items:
            key = _text(item.key)  # type: ignore[union-attr]
            out += lines(item.value, 8, mf.width, f"{key} = ")  # type: ignore[union-attr]
    node = cst.parse_statement("\n".join(out) + "\n")
    assert isinstance(node, cst.ClassDef)
    node = node.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    mf.module = mf.module.with_changes(body=[*mf.module.body, node])


def _delete_model(mf: ModelsFile, kw: dict[str, Code]) -> None:
    mf.replace(mf.cls(kw["name"]), None)


def _meta(node: cst.ClassDef) -> cst.ClassDef | None:
    return next(
        (s for s in _body(node) if isinstance(s, cst.ClassDef) and s.name.value == "Meta"), None
    )


def _meta_items(node: cst.ClassDef) -> dict[str, Code]:
    meta = _meta(node)
    out: dict[str, Code] = {}
    for stmt in _body(meta) if meta is not None else []:
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
            target = stmt.body[0].targets[0].target
            if isinstance(target, cst.Name):
                out[target.value] = as_code(stmt.body[0].value)
    return out


def _set_meta(mf: ModelsFile, node: cst.ClassDef, key: str, value: Code | None) -> None:
    """Set (or with None remove) `key = value` in the model's Meta, creating Meta if needed."""
    meta = _meta(node)
    new = mf.statement(value, f"{key} = ", 8) if value is not None else None
    if meta is None:
        if new is None:
            return
        meta = cst.ClassDef(
            name=cst.Name("Meta"),
            body=cst.IndentedBlock(body=[new]),
            leading_lines=[cst.EmptyLine()],
        )
        body = _body(node)
        fields = field_statements(node)
        at = (
            body.index(fields[-1].stmt) + 1 if fields and fields[-1].stmt is not None else len(body)
        )
        mf.replace(node, _with_body(node, [*body[:at], meta, *body[at:]]))
        return
    inner = _body(meta)
    existing = next(
        (
            s
            for s in inner
            if isinstance(s, cst.SimpleStatementLine)
            and isinstance(s.body[0], cst.Assign)
            and source(s.body[0].targets[0].target) == key
        ),
        None,
    )
    if existing is not None:
        inner = [new if s is existing else s for s in inner if not (s is existing and new is None)]  # type: ignore[misc]
    elif new is not None:
        inner = [*inner, new]
    if not inner:
        new_node = _with_body(node, [s for s in _body(node) if s is not meta])
    else:
        new_node = _with_body(
            node, [_with_body(meta, inner) if s is meta else s for s in _body(node)]
        )
    mf.replace(node, new_node)


def _alter_model_table(mf: ModelsFile, kw: dict[str, Code]) -> None:
    _set_meta(mf, mf.cls(kw["name"]), "db_table", kw["table"])


def _list_edit(key: str, add: bool) -> Callable[[ModelsFile, dict[str, Code]], None]:
    def edit(mf: ModelsFile, kw: dict[str, Code]) -> None:
        node = mf.cls(kw["model_name"])
        current = _meta_items(node).get(key)
        items = list(current.items) if isinstance(current, Seq) else []
        if add:
            items.append(kw["index" if key == "indexes" else "constraint"])
        else:
            name = _text(kw["name"])
            items = [
                i
                for i in items
                if not (isinstance(i, Call) and _text(dict(i.kwargs).get("name", "")) == name)
            ]
        _set_meta(mf, node, key, Seq(tuple(items)) if items else None)

    return edit


_EDITS: dict[str, Callable[[ModelsFile, dict[str, Code]], None]] = {
    "AddField": _add_field,
    "RemoveField": _remove_field,
    "AlterField": _alter_field,
    "RenameField": _rename_field,
    "CreateModel": _create_model,
    "DeleteModel": _delete_model,
    "AlterModelTable": _alter_model_table,
    "AddIndex": _list_edit("indexes", True),
    "RemoveIndex": _list_edit("indexes", False),
    "AddConstraint": _list_edit("constraints", True),
    "RemoveConstraint": _list_edit("constraints", False),
}


def _text(code: Code | None) -> str:
    """A string literal's value (the names migrations pass as `model_name="order"`)."""
    if not isinstance(code, str):
        return flat(code) if code is not None else ""
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError):
        return code
    return value if isinstance(value, str) else code


def _names_in(kwargs: dict[str, Code]) -> set[str]:
    text = " ".join(flat(v) for v in kwargs.values())
    return {n for n in ("Now", "Lower", "settings") if f"{n}(" in text or f"{n}." in text}
