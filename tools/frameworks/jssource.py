"""Structure of JavaScript/TypeScript migration files: exports, imports and classes.

History needs to know whether a migration file has an `up` and a `down` (Knex, Sequelize),
which class a TypeORM migration declares and what it names itself, and where an imported
migration class lives. These readings work on the token list of a `JsModule`, at the
bracket depth where such declarations live, so code inside function bodies never counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .jsconfig import MODIFIERS, JsModule
from .jslex import JsValue


@dataclass(frozen=True)
class JsClass:
    """A class declaration: its name, line, whether exported, and what it implements."""

    name: str
    line: int
    exported: bool
    heritage: str
    methods: dict[str, int]
    properties: dict[str, JsValue]


def exported_names(mod: JsModule) -> dict[str, int]:
    """Names a module exports (named exports and the keys of an exported object)."""
    names: dict[str, int] = {}
    for k, tok in enumerate(mod.tokens):
        if tok.kind != "name":
            continue
        if tok.text == "exports" and mod.is_at(k + 1, ".") and mod.is_at(k + 3, "="):
            names.setdefault(mod.text_at(k + 2), tok.line)
        elif tok.text == "export" and not mod.is_at(k - 1, "."):
            j = k + 1
            while mod.text_at(j) in ("async", "function", "const", "let", "var", "class", "*"):
                j += 1
            if j > k + 1 and mod.tokens[j].kind == "name":
                names.setdefault(mod.tokens[j].text, mod.tokens[j].line)
            elif mod.is_at(j, "{"):
                for m in range(j + 1, mod.match.get(j, j)):
                    tok_m = mod.tokens[m]
                    if tok_m.kind == "name" and tok_m.text != "as" and mod.is_at(m + 1, ",", "}"):
                        names.setdefault(mod.tokens[m].text, mod.tokens[m].line)
    at = mod.default_export_index()
    if at is not None:
        names.update(_object_keys(mod, at))
    return names


def _object_keys(mod: JsModule, k: int) -> dict[str, int]:
    tok = mod.tokens[k] if k < len(mod.tokens) else None
    if tok is not None and tok.kind == "name" and tok.text in mod.constants:
        return _object_keys(mod, mod.constants[tok.text])
    if tok is None or tok.text != "{":
        return {}
    inner, keys = mod.depth[k] + 1, dict[str, int]()
    for m in range(k + 1, mod.match.get(k, k)):
        if mod.depth[m] != inner or mod.tokens[m].kind not in ("name", "string"):
            continue
        prev = m - 1
        while mod.text_at(prev) in MODIFIERS or mod.is_at(prev, "*"):
            prev -= 1
        if mod.is_at(prev, "{", ",") and mod.is_at(m + 1, ":", "(", ",", "}"):
            keys.setdefault(mod.tokens[m].text, mod.tokens[m].line)
    return keys


def imports(mod: JsModule) -> dict[str, str]:
    """Imported binding -> module specifier (`import {A} from "./x"`, `require("./x")`)."""
    found: dict[str, str] = {}
    for k, tok in enumerate(mod.tokens):
        if tok.kind == "name" and tok.text == "import" and mod.depth[k] == 0:
            end = mod.skip_to(k, {";", "from"}, 0)
            if mod.text_at(end) == "from" and mod.tokens[end + 1].kind == "string":
                spec = mod.tokens[end + 1].text
                for m in range(k + 1, end):
                    t = mod.tokens[m]
                    if (
                        t.kind == "name"
                        and t.text not in ("type", "as", "import")
                        and (mod.is_at(m + 1, ",", "}", "from") or mod.text_at(m + 1) == "from")
                    ):
                        found[t.text] = spec
        elif (
            tok.text == "require"
            and mod.is_at(k + 1, "(")
            and mod.is_at(k - 1, "=")
            and mod.tokens[k + 2].kind == "string"
        ):
            spec, m = mod.tokens[k + 2].text, k - 2
            if mod.tokens[m].kind == "name":
                found[mod.tokens[m].text] = spec
            elif mod.is_at(m, "}"):
                opener = next(o for o, c in mod.match.items() if c == m)
                for n in range(opener + 1, m):
                    if mod.tokens[n].kind == "name" and mod.is_at(n + 1, ",", "}"):
                        found[mod.tokens[n].text] = spec
    return found


def classes(mod: JsModule) -> list[JsClass]:
    """Every class declaration with its methods and initialised properties."""
    found: list[JsClass] = []
    for k, tok in enumerate(mod.tokens):
        if tok.kind != "name" or tok.text != "class" or mod.tokens[k + 1].kind != "name":
            continue
        body = mod.skip_to(k, {"{"}, mod.depth[k])
        exported = mod.text_at(k - 1) == "export" or (
            mod.text_at(k - 1) == "default" and mod.text_at(k - 2) == "export"
        )
        heritage = mod.slice_text(k + 2, body - 1) if body - 1 >= k + 2 else ""
        methods, props = _members(mod, body)
        found.append(
            JsClass(
                mod.tokens[k + 1].text,
                tok.line,
                exported,
                " ".join(heritage.split()),
                methods,
                props,
            )
        )
    return found


def _members(mod: JsModule, body: int) -> tuple[dict[str, int], dict[str, JsValue]]:
    methods: dict[str, int] = {}
    props: dict[str, JsValue] = {}
    inner = mod.depth[body] + 1
    starts = {"{", ";", "}"} | MODIFIERS
    for m in range(body + 1, mod.match.get(body, body)):
        tok = mod.tokens[m]
        if mod.depth[m] != inner or tok.kind != "name" or mod.text_at(m - 1) not in starts:
            continue
        if mod.is_at(m + 1, "("):
            methods.setdefault(tok.text, tok.line)
        elif mod.is_at(m + 1, "="):
            props[tok.text] = mod.value_at(m + 2)[0]
        elif mod.is_at(m + 1, ":"):
            eq = mod.skip_to(m + 1, {"=", ";", "}"}, inner)
            if mod.is_at(eq, "="):
                props[tok.text] = mod.value_at(eq + 1)[0]
    return methods, props
