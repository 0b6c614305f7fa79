"""Field lists that name model fields as strings: serializers, forms, admin, views, Meta.

Django REST framework serializers (`class Meta: model = Order; fields = ["id", "total"]`),
ModelForms and django-filter FilterSets share that `Meta`; admin classes registered for a
model (`@admin.register(Order)` or `admin.site.register(Order, OrderAdmin)`) list fields in
`list_display`, `search_fields`, `ordering` ...; generic views carry `model = Order` with
`fields` / `ordering`. A model's own `Meta` names fields in `ordering`, `indexes` and
constraints, and SQLAlchemy's `__table_args__` names columns in `Index(...)` and checks. Every
string there is a field name (or a lookup path, `customer__name`), so each is matched as one.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .references_pymodels import dotted, last_name, string_value
from .references_types import CERTAIN, CodeModel, Match

if TYPE_CHECKING:
    from .references_py import PyScanner
    from .references_pytypes import Scope

#: Class-level (or Meta) lists of field names in serializers, forms, admin and views.
CONFIG_KEYS = {
    "fields",
    "exclude",
    "read_only_fields",
    "write_only_fields",
    "list_display",
    "list_display_links",
    "list_filter",
    "list_editable",
    "list_select_related",
    "search_fields",
    "ordering",
    "ordering_fields",
    "readonly_fields",
    "raw_id_fields",
    "autocomplete_fields",
    "date_hierarchy",
    "prepopulated_fields",
    "fieldsets",
    "sortable_by",
    "filterset_fields",
    "extra_kwargs",
}
_SORT_KEYS = {"ordering", "ordering_fields", "sortable_by", "get_latest_by"}
#: Keys of a model's Meta that name fields.
_META_KEYS = {
    "ordering",
    "get_latest_by",
    "order_with_respect_to",
    "indexes",
    "unique_together",
    "index_together",
    "constraints",
}
_NOT_FIELDS = {"name", "violation_error_message", "condition", "check"}
_SKIP_SERIALIZER_FIELDS = ("SerializerMethodField", "HiddenField")


class ConfigClasses:
    """Finds configuration classes for a model and matches the field names they list."""

    def __init__(self, scanner: PyScanner) -> None:
        self.scanner = scanner
        self.registered: dict[str, CodeModel] = {}

    def collect_registrations(self, tree: ast.Module) -> None:
        """`admin.site.register(Order, OrderAdmin)`: OrderAdmin configures Order."""
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and last_name(node.func) == "register"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Name)
            ):
                model = self.scanner.bound.get(dotted(node.args[0]))
                if model is not None:
                    self.registered[node.args[1].id] = model

    def model_of(self, node: ast.ClassDef, scope: Scope) -> CodeModel | None:
        """The model a class configures, or None for any other class."""
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and last_name(decorator.func) == "register":
                for arg in decorator.args:
                    model = self.scanner.bound.get(dotted(arg))
                    if model is not None:
                        return model
        if node.name in self.registered:
            return self.registered[node.name]
        for stmt in node.body:
            holder = stmt
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                holder = next((s for s in stmt.body if _assigns(s, "model")), stmt)
            if _assigns(holder, "model"):
                assert isinstance(holder, ast.Assign)
                model = self.scanner.bound.get(dotted(holder.value))
                if model is not None and model.kind != "core":
                    return model
        return None

    def visit(self, stmt: ast.stmt, model: CodeModel, owner: ast.ClassDef) -> bool:
        """Match one statement of a configuration class; True when nothing is left to visit."""
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for item in stmt.body:
                self._field_list(item, model)
            return True
        if self._field_list(stmt, model):
            return True
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            self._declared_field(stmt, stmt.value, model)
        return False

    def _field_list(self, stmt: ast.stmt, model: CodeModel) -> bool:
        if not isinstance(stmt, ast.Assign) or not isinstance(stmt.targets[0], ast.Name):
            return False
        key = stmt.targets[0].id
        if key not in CONFIG_KEYS:
            return False
        role = "sort" if key in _SORT_KEYS else None
        for text, node in _strings(stmt.value):
            self.scanner.lookup(text, node, model, role, CERTAIN, Match.SERIALIZER)
        return True

    def _declared_field(self, stmt: ast.Assign, call: ast.Call, model: CodeModel) -> None:
        """`total = serializers.DecimalField(...)` serialises `model.total`; `source="..."`
        names the attribute instead."""
        kind = last_name(call.func)
        if not kind.endswith("Field") or kind in _SKIP_SERIALIZER_FIELDS:
            return
        source = next((k for k in call.keywords if k.arg == "source"), None)
        text = string_value(source.value) if source is not None else None
        if source is not None and text is not None:
            self.scanner.lookup(text, source.value, model, None, CERTAIN, Match.SERIALIZER)
            return
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            self.scanner.lookup(target.id, target, model, None, CERTAIN, Match.SERIALIZER)

    def model_meta(self, meta: ast.ClassDef, model: CodeModel) -> None:
        """A model's own Meta: `ordering`, `indexes`, `unique_together`, constraints."""

        for stmt in meta.body:
            if not _assigns_any(stmt, _META_KEYS):
                continue
            assert isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
            key = stmt.targets[0].id
            role = "sort" if key in _SORT_KEYS else None
            for text, node in _strings(stmt.value):
                self.scanner.lookup(text, node, model, role, CERTAIN, Match.FIELD)
            for inner in ast.walk(stmt.value):  # Q(total__gte=0) in a constraint: no query
                if isinstance(inner, ast.Call) and last_name(inner.func) == "Q":
                    for keyword in inner.keywords:
                        if keyword.arg is not None:
                            self.scanner.lookup(
                                keyword.arg, keyword, model, None, CERTAIN, Match.FIELD
                            )

    def table_args(self, stmt: ast.stmt, model: CodeModel) -> bool:
        """SQLAlchemy `__table_args__`: column names in Index / UniqueConstraint, and checks."""
        if not _assigns(stmt, "__table_args__"):
            return False
        assert isinstance(stmt, ast.Assign)
        from .references_pytypes import Ctx

        for node in ast.walk(stmt.value):
            if not isinstance(node, ast.Call):
                continue
            kind = last_name(node.func)
            args = node.args[1:] if kind == "Index" else node.args
            if kind == "CheckConstraint" and node.args:
                self.scanner.fragment(node.args[0], Ctx(model, None))
                continue
            for arg in args:
                text = string_value(arg)
                if text is None:
                    continue
                targets = [
                    t
                    for t in self.scanner.wanted.targets
                    if t.column and model.is_for(t.table) and t.column.lower() == text.lower()
                ]
                at = self.scanner.offset(arg.lineno, arg.col_offset)
                self.scanner.add(at, Match.FIELD, CERTAIN, targets)
        return True


def _assigns(stmt: ast.stmt, name: str) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.targets[0].id == name
    )


def _assigns_any(stmt: ast.stmt, names: set[str]) -> bool:
    return any(_assigns(stmt, name) for name in names)


def _strings(node: ast.expr) -> list[tuple[str, ast.expr]]:
    """String constants in a field list (dict keys included), skipping constraint names and
    messages."""
    skip: set[int] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.keyword) and inner.arg in _NOT_FIELDS:
            skip.update(id(n) for n in ast.walk(inner.value))
    found: list[tuple[str, ast.expr]] = []
    for inner in ast.walk(node):
        text = inner.value if isinstance(inner, ast.Constant) else None
        if isinstance(text, str) and isinstance(inner, ast.Constant) and id(inner) not in skip:
            found.append((text, inner))
    return found


def _empty_scope() -> Scope:
    from .references_pytypes import Scope

    return Scope()
