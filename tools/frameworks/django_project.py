"""The Django project as the renderer needs it: which model owns which table and column.

Schema operations speak of tables and columns (`orders_order.shipped_at`); Django operations
of models and fields (`model_name="order", name="shipped_at"`). This module reads every app's
models.py with libcst (nothing is imported or run) and maps one to the other: a model's table
is its `Meta.db_table` or `<app_label>_<modelname>`, a field's column its `db_column` or its
name (plus `_id` for a ForeignKey), and a model without a primary key field has Django's
implicit `id`. Tables of django.contrib.auth map to `settings.AUTH_USER_MODEL` and friends.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field

import libcst as cst

from ..repo import RepoFacts
from .base import FrameworkConfig

#: Field classes whose column is `<name>_id`.
RELATIONS = ("ForeignKey", "OneToOneField")
#: Tables of Django's own apps that a new foreign key may point at, and how to name the model.
CONTRIB = {"auth_user": "settings.AUTH_USER_MODEL", "auth_group": "auth.group"}


@dataclass(frozen=True)
class Field:
    attr: str
    column: str
    kind: str
    call: cst.Call | None  #: None for Django's implicit `id`
    stmt: cst.SimpleStatementLine | None


@dataclass(frozen=True)
class Model:
    app: str
    name: str
    table: str
    path: str
    fields: tuple[Field, ...]
    index_names: tuple[str, ...]
    constraint_names: tuple[str, ...]
    node: cst.ClassDef | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """What migrations write in `to=` and `model_name=`: `app.modelname`, lower case."""
        return f"{self.app}.{self.name.lower()}"

    def field_for(self, column: str) -> Field | None:
        return next((f for f in self.fields if f.column == column), None)


@dataclass(frozen=True)
class Project:
    """Every app (label -> folder) and every concrete model found in the apps' models.py."""

    apps: dict[str, str]
    models: tuple[Model, ...]
    #: app label -> the class name of its default primary key field (`BigAutoField`).
    auto_fields: dict[str, str] = field(default_factory=dict)

    def by_table(self, table: str) -> Model | None:
        return next((m for m in self.models if m.table == table), None)

    def app_of_table(self, table: str) -> str | None:
        model = self.by_table(table)
        if model is not None:
            return model.app
        for label in sorted(self.apps, key=len, reverse=True):
            if table.startswith(f"{label}_"):
                return label
        return None

    def models_path(self, app: str) -> str:
        return f"{self.apps[app]}/models.py"


def read_project(repo: RepoFacts, config: FrameworkConfig) -> Project:
    apps: dict[str, str] = {}
    for item in config.settings.get("apps", "").split(", "):
        if "=" in item:
            label, migrations_dir = item.split("=", 1)
            apps[label] = posixpath.dirname(migrations_dir)
    models: list[Model] = []
    autos: dict[str, str] = {}
    for label, folder in sorted(apps.items()):
        rel = f"{folder}/models.py"
        if rel in repo.files:
            models += read_models(repo.read(rel), label, rel)
        autos[label] = _auto_field(repo, folder, config)
    return Project(apps, tuple(models), autos)


def _auto_field(repo: RepoFacts, folder: str, config: FrameworkConfig) -> str:
    """The app's default_auto_field (apps.py), else DEFAULT_AUTO_FIELD, else AutoField."""
    found = _assigned_string(repo, f"{folder}/apps.py", "default_auto_field")
    for settings_file in config.settings.get("settings_files", "").split(", "):
        found = found or _assigned_string(repo, settings_file, "DEFAULT_AUTO_FIELD")
    return (found or "django.db.models.AutoField").rsplit(".", 1)[-1]


def _assigned_string(repo: RepoFacts, rel: str, name: str) -> str | None:
    if not rel or rel not in repo.files:
        return None
    try:
        tree = ast.parse(repo.read(rel))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            return str(node.value.value)
    return None


def read_models(source: str, app: str, path: str) -> list[Model]:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return []
    out: list[Model] = []
    names = {n.name.value for n in module.body if isinstance(n, cst.ClassDef)}
    for node in module.body:
        if not isinstance(node, cst.ClassDef) or not _is_model(node, names):
            continue
        meta = meta_options(node)
        if meta.get("abstract") == "True" or meta.get("proxy") == "True":
            continue
        table = _literal(meta.get("db_table")) or f"{app}_{node.name.value.lower()}"
        fields = list(field_statements(node))
        if not any(_kw(f.call, "primary_key") == "True" for f in fields if f.call is not None):
            fields.insert(0, Field("id", "id", "AutoField", None, None))
        out.append(
            Model(
                app,
                node.name.value,
                table,
                path,
                tuple(fields),
                _names(meta.get("indexes")),
                _names(meta.get("constraints")),
                node,
            )
        )
    return out


def _is_model(node: cst.ClassDef, local_classes: set[str]) -> bool:
    for base in node.bases:
        text = source(base.value)
        if text.endswith("Model") or text in local_classes:
            return True
    return False


def source(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def field_statements(node: cst.ClassDef) -> list[Field]:
    out = []
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if not isinstance(small, cst.Assign) or len(small.targets) != 1:
            continue
        target, value = small.targets[0].target, small.value
        if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
            continue
        kind = source(value.func).rsplit(".", 1)[-1]
        if not kind.endswith("Field") and kind not in RELATIONS:
            continue
        if kind == "ManyToManyField":
            continue
        column = _literal(_kw(value, "db_column"))
        if column is None:
            column = f"{target.value}_id" if kind in RELATIONS else target.value
        out.append(Field(target.value, column, kind, value, stmt))
    return out


def meta_options(node: cst.ClassDef) -> dict[str, str]:
    """`class Meta:` assignments as source text, by name."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta":
            out = {}
            inner = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ()
            for line in inner:
                if isinstance(line, cst.SimpleStatementLine) and isinstance(
                    line.body[0], cst.Assign
                ):
                    assign = line.body[0]
                    target = assign.targets[0].target
                    if isinstance(target, cst.Name):
                        out[target.value] = source(assign.value)
            return out
    return {}


def _kw(call: cst.Call | None, name: str) -> str | None:
    if call is None:
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return source(arg.value)
    return None


def _literal(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        node = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _names(text: str | None) -> tuple[str, ...]:
    """`name="..."` values inside a Meta.indexes / Meta.constraints list."""
    if not text:
        return ()
    found: list[str] = []

    class Names(cst.CSTVisitor):
        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None and node.keyword.value == "name":
                value = _literal(source(node.value))
                if value:
                    found.append(value)

    cst.parse_expression(text).visit(Names())
    return tuple(found)
