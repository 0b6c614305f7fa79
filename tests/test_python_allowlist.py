"""The RunPython allowlist: what a drafted transform may do, and one clear error for the rest."""

from __future__ import annotations

import textwrap

import pytest

from migwright.tools import ops as o
from migwright.tools.errors import DetectionError, SchemaError, SpecError
from migwright.tools.opcodec import decode
from migwright.tools.python_allowlist import ForbiddenPython, check_function
from migwright.tools.python_transform import PythonTransform, refuse_outside_django
from migwright.tools.schema import Column, Schema, Table
from migwright.tools.sql import render


def fn(body: str, signature: str = "apps, schema_editor") -> str:
    return f"def forward({signature}):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ")


ALLOWED = {
    "loop_and_save": """
        Product = apps.get_model("catalog", "Product")
        for product in Product.objects.filter(sku="").iterator():
            product.sku = f"P-{product.pk:06d}"
            product.save(update_fields=["sku"])
    """,
    "update_with_expressions": """
        Product = apps.get_model("catalog", "Product")
        Product.objects.filter(Q(stock__gt=0) | Q(is_active=True)).update(
            stock=Case(When(stock__lt=0, then=Value(0)), default=F("stock"))
        )
    """,
    "bulk_update_in_batches": """
        Order = apps.get_model("orders", "Order")
        pending = []
        for order in Order.objects.only("id", "status").iterator(chunk_size=500):
            order.status = order.status.strip().lower()
            pending.append(order)
            if len(pending) >= 500:
                Order.objects.bulk_update(pending, ["status"])
                pending = []
        if pending:
            Order.objects.bulk_update(pending, ["status"])
    """,
    "values_list_and_comprehension": """
        Category = apps.get_model("catalog", "Category")
        slugs = {pk: name.lower().replace(" ", "-") for pk, name in Category.objects.values_list("pk", "name")}
        for pk, slug in sorted(slugs.items()):
            Category.objects.filter(pk=pk).update(slug=slug[:100])
    """,
    "bounded_while": """
        Product = apps.get_model("catalog", "Product")
        start, step, total = 0, 100, Product.objects.count()
        while start < total:
            ids = list(Product.objects.order_by("pk").values_list("pk", flat=True)[start:start + step])
            Product.objects.filter(pk__in=ids).update(stock=F("stock") * 2 + 1)
            start += step
    """,
    "func_and_str_methods": """
        Product = apps.get_model("catalog", "Product")
        Product.objects.exclude(name="").update(name=Func(F("name"), function="UPPER"))
        words = "a b".split()
        return None
    """,
}


@pytest.mark.parametrize("body", ALLOWED.values(), ids=ALLOWED.keys())
def test_allowed_functions_pass(body: str) -> None:
    checked = check_function(fn(body))
    assert checked.name == "forward"
    renamed = checked.source("transform_x")
    assert renamed.startswith("def transform_x(apps, schema_editor):")
    compile(renamed, "<transform>", "exec")  # what lands in the migration is valid Python


def test_the_source_keeps_comments_and_layout_and_only_the_name_changes() -> None:
    source = "# fills the sku\n" + fn(ALLOWED["loop_and_save"]).replace(
        "for product", "# one row at a time\n    for product"
    )
    renamed = check_function(source).source("transform_catalog_product_sku")
    assert renamed == source.replace("def forward(", "def transform_catalog_product_sku(")
    assert "# one row at a time" in renamed


def test_the_django_expressions_used_are_reported_for_the_imports() -> None:
    checked = check_function(fn(ALLOWED["update_with_expressions"]))
    assert checked.expressions == {"Q", "Case", "When", "Value", "F"}


#: (id, function source, words the error must contain: the node and its line)
FORBIDDEN = [
    ("import", fn("import os\nos.remove('x')"), ["line 2", "import"]),
    ("from_import", fn("from django.db import connection"), ["line 2", "import"]),
    ("open", fn("data = open('/etc/passwd').read()"), ["line 2", "open"]),
    ("eval", fn("eval('1 + 1')"), ["line 2", "eval"]),
    ("exec", fn("exec('x = 1')"), ["line 2", "exec"]),
    ("compile", fn("code = compile('1', 'f', 'eval')"), ["line 2", "compile"]),
    ("dunder_import", fn("m = __import__('os')"), ["line 2", "__import__"]),
    ("getattr", fn("Model = apps.get_model('a', 'B')\ngetattr(Model, 'objects')"), ["line 3"]),
    ("setattr", fn("Model = apps.get_model('a', 'B')\nsetattr(Model, 'x', 1)"), ["setattr"]),
    ("dunder_attribute", fn("x = (1).__class__"), ["line 2", "__class__"]),
    ("subclasses", fn("x = ().__class__.__bases__[0].__subclasses__()"), ["dunder"]),
    ("global", fn("global counter\ncounter = 1"), ["line 2", "global"]),
    ("nonlocal", fn("x = 1\nnonlocal x"), ["nonlocal"]),
    ("while_true", fn("while True:\n    pass"), ["line 2", "while"]),
    ("while_1", fn("while 1:\n    break"), ["while"]),
    ("schema_editor_execute", fn("schema_editor.execute('DROP TABLE users')"), ["schema_editor"]),
    (
        "cursor",
        fn("Model = apps.get_model('a', 'B')\nc = Model.objects.db.cursor()"),
        ["line 3", "cursor"],
    ),
    ("raw", fn("Model = apps.get_model('a', 'B')\nModel.objects.raw('SELECT 1')"), ["raw"]),
    ("extra", fn("Model = apps.get_model('a', 'B')\nModel.objects.extra(where=['1'])"), ["extra"]),
    ("delete", fn("Model = apps.get_model('a', 'B')\nModel.objects.all().delete()"), ["delete"]),
    ("format_escape", fn("x = '{0.__class__}'.format(1)"), ["format"]),
    ("lambda", fn("key = lambda r: r"), ["lambda"]),
    ("class", fn("class X:\n    pass"), ["class"]),
    ("nested_def", fn("def helper():\n    pass"), ["nested function"]),
    ("try", fn("try:\n    pass\nexcept Exception:\n    pass"), ["try"]),
    ("with", fn("with x:\n    pass"), ["with"]),
    ("unknown_global", fn("os.system('ls')"), ["os"]),
    ("wrong_signature", fn("pass", signature="apps"), ["signature"]),
    ("kwargs", fn("pass", signature="apps, schema_editor, **kw"), ["signature"]),
    ("decorator", "@staticmethod\n" + fn("pass"), ["decorator"]),
    ("two_functions", fn("pass") + "\n\n" + fn("pass").replace("forward", "other"), ["exactly"]),
    ("module_code", "import os\n" + fn("pass"), ["exactly"]),
    ("syntax", "def forward(apps, schema_editor):\n    x = (", ["does not parse"]),
    ("private_attribute", fn("Model = apps.get_model('a', 'B')\nm = Model._meta"), ["_meta"]),
    ("get_model_elsewhere", fn("x = registry.get_model('a', 'B')"), ["registry"]),
    ("bytes", fn("x = b'\\x00'"), ["bytes"]),
]


@pytest.mark.parametrize(
    ("source", "words"), [(s, w) for _, s, w in FORBIDDEN], ids=[i for i, _, _ in FORBIDDEN]
)
def test_forbidden_functions_are_refused_with_one_clear_error(
    source: str, words: list[str]
) -> None:
    with pytest.raises(ForbiddenPython) as caught:
        check_function(source)
    error = caught.value
    assert isinstance(error, SpecError), "a bad-input error (exit 2), not a crash"
    line = error.one_line()
    assert "\n" not in line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert "SQL expression" in line, "the fix names the alternative"


# -- the operation -------------------------------------------------------------------------

PRODUCTS = Table(
    "catalog_product",
    (Column("id", "bigint", False, identity=True), Column("name", "text"), Column("sku", "text")),
    ("id",),
)
SCHEMA = Schema(tables=(PRODUCTS,))
UPPER = fn(
    """
    Product = apps.get_model("catalog", "Product")
    for p in Product.objects.iterator():
        p.sku = p.name.upper()[:32]
        p.save(update_fields=["sku"])
    """
)


def test_the_operation_checks_its_function_and_columns_when_applied() -> None:
    op = PythonTransform("catalog_product", ("sku",), UPPER, summary="sku from the name")
    assert op.apply(SCHEMA) == SCHEMA
    assert op.describe() == "~ python transform of catalog_product (sku): sku from the name"
    assert decode(op.to_dict()) == op
    with pytest.raises(ForbiddenPython, match="line 2"):
        PythonTransform("catalog_product", ("sku",), fn("import os")).apply(SCHEMA)
    with pytest.raises(SchemaError):
        PythonTransform("catalog_product", ("nope",), UPPER).apply(SCHEMA)
    with pytest.raises(ForbiddenPython):
        PythonTransform("catalog_product", ("sku",), UPPER, fn("eval('1')")).apply(SCHEMA)


def test_reverse_and_data_loss() -> None:
    one_way = PythonTransform("catalog_product", ("sku",), UPPER)
    assert isinstance(one_way.reverse(SCHEMA), o.NoOp)
    assert (
        one_way.data_loss(SCHEMA) == "the values of catalog_product.sku before the Python transform"
    )
    back = fn('Product = apps.get_model("catalog", "Product")\nProduct.objects.update(sku="")')
    two_way = PythonTransform("catalog_product", ("sku",), UPPER, back)
    reverse = two_way.reverse(SCHEMA)
    assert isinstance(reverse, PythonTransform) and reverse.forward == back
    assert two_way.data_loss(SCHEMA) is None
    assert o.reverse_all([two_way], SCHEMA).ok


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_no_dialect_renders_sql_for_it(dialect: str) -> None:
    op = PythonTransform("catalog_product", ("sku",), UPPER)
    assert render([op], SCHEMA, dialect) == []


def test_every_framework_but_django_refuses_it_in_one_line() -> None:
    op = PythonTransform("catalog_product", ("sku",), UPPER)
    refuse_outside_django("django", [op])
    refuse_outside_django("alembic", [o.NoOp()])
    for framework in ("alembic", "prisma", "knex", "rails", "flyway"):
        with pytest.raises(DetectionError) as caught:
            refuse_outside_django(framework, [op])
        line = caught.value.one_line()
        assert f"this repo uses {framework}" in line
        assert "use a SQL expression instead" in line and "--backfill" in line
