"""Reading JavaScript and TypeScript config files without running them.

Knexfiles, `.sequelizerc`, TypeORM data sources and Drizzle configs are programs, but the part
an adapter needs is nearly always one object literal: `module.exports = {...}`,
`export default defineConfig({...})`, `new DataSource({...})`. Running the user's code is off
limits (it reads `.env`, opens connections, needs node_modules), and there is no JS parser
among our dependencies, so `jslex` tokenizes the file and this module reads expressions into
Python values. Whatever it does not evaluate (a function call, a condition) stays source text
in a `JsExpr`, with `process.env.X` shown as `${X}`: a value from the environment is named,
never resolved.
"""

from __future__ import annotations

from .jslex import (
    CLOSERS,
    JsExpr,
    JsValue,
    env_text,
    number_value,
    template_value,
    tokenize,
)

# fmt: off
_BINARY = {"+", "-", "*", "/", "%", "**", "||", "??", "&&", "==", "===", "!=", "!==", "<", ">",
           "<=", ">=", "|", "&", "^"}
_PREFIX = {"!", "-", "+", "~", "typeof", "await", "void", "delete"}
_PATH_FUNCS = {"path.resolve", "path.join", "resolve", "join", "path.posix.join", "posix.join"}
#: Calls whose value, for display, is their single argument (`defineConfig({...})`).
_PASS_THROUGH = {"defineConfig", "Number", "parseInt", "String", "parseFloat"}
MODIFIERS = {"async", "public", "private", "protected", "static", "override", "readonly",
             "declare", "get", "set", "abstract"}
# fmt: on
#: How `__dirname` appears in an evaluated path, so callers can resolve it against the file.
DIRNAME = "__dirname"


class JsModule:
    """A tokenized JS/TS file and the few readings adapters need from it.

    Values are read lazily from the token list: top-level `const` declarations are indexed so
    `module.exports = config` and shorthand properties resolve to the constant they name.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.depth: list[int] = []
        self.match: dict[int, int] = {}
        stack: list[int] = []
        for k, tok in enumerate(self.tokens):
            is_punct = tok.kind == "punct"
            if is_punct and tok.text in (")", "]", "}"):
                self.match[stack.pop()] = k
            self.depth.append(len(stack))
            if is_punct and tok.text in CLOSERS:
                stack.append(k)
        self.constants = self._index_constants()
        self._resolving: set[str] = set()

    # -- small token helpers -------------------------------------------------------------
    def text_at(self, k: int) -> str:
        return self.tokens[k].text if 0 <= k < len(self.tokens) else ""

    def is_at(self, k: int, *texts: str) -> bool:
        return (
            0 <= k < len(self.tokens)
            and self.tokens[k].kind in ("punct", "name")
            and (self.tokens[k].text in texts)
        )

    def slice_text(self, first: int, last: int) -> str:
        return self.source[self.tokens[first].start : self.tokens[last].end]

    def _expr_of(self, first: int, after: int) -> JsExpr:
        last = max(first, after - 1)
        return JsExpr(
            env_text(" ".join(self.slice_text(first, last).split())), self.tokens[first].line
        )

    def skip_to(self, k: int, texts: set[str], depth: int) -> int:
        while k < len(self.tokens) and not (self.depth[k] == depth and self.text_at(k) in texts):
            k += 1
        return k

    def _index_constants(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for k, tok in enumerate(self.tokens):
            if tok.kind != "name" or tok.text not in ("const", "let", "var") or self.depth[k]:
                continue
            if k + 1 < len(self.tokens) and self.tokens[k + 1].kind == "name":
                eq = k + 2
                if self.is_at(eq, ":"):
                    eq = self.skip_to(eq, {"=", ";"}, 0)
                if self.is_at(eq, "="):
                    found[self.tokens[k + 1].text] = eq + 1
        return found

    def constant(self, name: str) -> JsValue:
        """The value of a top-level `const name = ...`, or a JsExpr naming it when unknown."""
        at = self.constants.get(name)
        if at is None or name in self._resolving or at >= len(self.tokens):
            return JsExpr(name, 0)
        self._resolving.add(name)
        try:
            return self.value_at(at)[0]
        finally:
            self._resolving.discard(name)

    # -- values ----------------------------------------------------------------------------
    def value_at(self, k: int) -> tuple[JsValue, int]:
        """The expression starting at token k, and the index just after it."""
        first = k
        value, k = self._unary(k)
        terms, ops = [value], []
        while k < len(self.tokens):
            tok = self.tokens[k]
            if tok.kind == "name" and tok.text in ("as", "satisfies"):
                k = self._skip_type(k + 1)
            elif tok.kind == "punct" and tok.text == "?":
                _, k = self.value_at(k + 1)
                if self.is_at(k, ":"):
                    _, k = self.value_at(k + 1)
                ops.append("?")
            elif (tok.kind == "punct" and tok.text in _BINARY) or tok.text in ("instanceof", "in"):
                ops.append(tok.text)
                term, k = self._unary(k + 1)
                terms.append(term)
            else:
                break
        if not ops:
            return value, k
        if all(op == "+" for op in ops) and all(isinstance(t, str) for t in terms):
            return "".join(str(t) for t in terms), k
        return self._expr_of(first, k), k

    def _skip_type(self, k: int) -> int:
        depth = self.depth[k] if k < len(self.tokens) else 0
        angle = 0
        while k < len(self.tokens):
            text, tok_depth = self.text_at(k), self.depth[k]
            if text == "<":
                angle += 1
            elif text == ">":
                angle -= 1
            elif (
                tok_depth == depth
                and angle <= 0
                and (
                    text in (",", ";", ")", "]", "}", "=") or text in _BINARY - {"|", "&", "<", ">"}
                )
            ):
                return k
            if k in self.match:
                k = self.match[k]
            k += 1
        return k

    def _unary(self, k: int) -> tuple[JsValue, int]:
        tok = self.tokens[k] if k < len(self.tokens) else None
        if tok is None:
            return None, k
        if tok.text in _PREFIX and tok.kind in ("punct", "name"):
            operand, end = self._unary(k + 1)
            if (
                tok.text == "-"
                and isinstance(operand, (int, float))
                and not isinstance(operand, bool)
            ):
                return -operand, end
            if tok.text == "await":
                return operand, end
            return self._expr_of(k, end), end
        if tok.text == "new" and tok.kind == "name":
            _, end = self._primary(k + 1)
            return self._expr_of(k, end), end
        return self._primary(k)

    def _primary(self, k: int) -> tuple[JsValue, int]:
        tok = self.tokens[k]
        if tok.kind == "string":
            return tok.text, k + 1
        if tok.kind == "template":
            return template_value(tok.text), k + 1
        if tok.kind == "number":
            return number_value(tok.text), k + 1
        if tok.kind == "regex":
            return JsExpr(tok.text, tok.line), k + 1
        if tok.text == "{":
            return self._object(k)
        if tok.text == "[":
            return self._array(k)
        if tok.text == "(":
            close = self.match.get(k, k)
            if self.is_at(close + 1, "=>") or self.is_at(close + 1, ":"):
                return self._arrow(k, close + 1)
            value, _ = self.value_at(k + 1)
            return value, close + 1
        if tok.kind == "name":
            literal = {"true": True, "false": False, "null": None, "undefined": None}
            if tok.text in literal:
                return literal[tok.text], k + 1
            if tok.text in ("function", "class"):
                body = self.skip_to(k, {"{"}, self.depth[k])
                return JsExpr(tok.text, tok.line), self.match.get(body, body) + 1
            if tok.text == "async" and not self.is_at(k + 1, ",", "}", ":", ")", ".", "="):
                return self._primary(k + 1)
            if self.is_at(k + 1, "=>"):
                return self._arrow(k, k + 1)
            return self._chain(k)
        return JsExpr(tok.text, tok.line), k + 1

    def _arrow(self, first: int, arrow: int) -> tuple[JsValue, int]:
        if self.is_at(arrow, ":"):
            arrow = self.skip_to(arrow, {"=>"}, self.depth[arrow])
        body = arrow + 1
        if self.is_at(body, "{"):
            end = self.match.get(body, body) + 1
        else:
            _, end = self.value_at(body)
        return JsExpr("function", self.tokens[first].line), end

    def _chain(self, k: int) -> tuple[JsValue, int]:
        first, parts = k, [self.tokens[k].text]
        calls: list[list[JsValue]] = []
        computed = False
        k += 1
        while k < len(self.tokens):
            text = self.text_at(k)
            if (
                text in (".", "?.")
                and k + 1 < len(self.tokens)
                and self.tokens[k + 1].kind == "name"
            ):
                parts.append(self.tokens[k + 1].text)
                k += 2
            elif text == "[" and self.tokens[k].kind == "punct":
                inner, _ = self.value_at(k + 1)
                if isinstance(inner, str):
                    parts.append(inner)  # process.env["X"] reads like process.env.X
                else:
                    computed = True
                k = self.match.get(k, k) + 1
            elif text == "(" and self.tokens[k].kind == "punct":
                calls.append(self._arguments(k))
                k = self.match.get(k, k) + 1
            elif (text == "!" and self.tokens[k].kind == "punct") or (
                self.tokens[k].kind == "template"
            ):
                k += 1
            else:
                break
        dotted = ".".join(str(p) for p in parts)
        if not calls and not computed:
            if len(parts) == 3 and parts[:2] == ["process", "env"]:
                return "${" + str(parts[2]) + "}", k
            if dotted == DIRNAME:
                return DIRNAME, k
            if len(parts) == 1 and dotted in self.constants:
                return self.constant(dotted), k
        elif len(calls) == 1 and not computed:
            args = calls[0]
            if dotted == "process.cwd":
                return "", k
            if dotted in _PATH_FUNCS and args and all(isinstance(a, str) for a in args):
                return "/".join(
                    str(a).strip("/") if i else str(a).rstrip("/")
                    for i, a in enumerate(args)
                    if a != ""
                ), k
            if dotted in _PASS_THROUGH and len(args) == 1:
                return args[0], k
        return self._expr_of(first, k), k

    def _arguments(self, k: int) -> list[JsValue]:
        close, args = self.match.get(k, k), []
        k += 1
        while k < close:
            value, k = self.value_at(k)
            args.append(value)
            k = self.skip_to(k, {",", ")"}, self.depth[close] + 1) if k < close else k
            if self.is_at(k, ",") and k < close:
                k += 1
            else:
                break
        return args

    def _array(self, k: int) -> tuple[JsValue, int]:
        close, items = self.match.get(k, k), []
        k += 1
        while k < close:
            if self.is_at(k, ","):
                k += 1
                continue
            if self.is_at(k, "..."):
                value, k = self.value_at(k + 1)
                items.extend(value if isinstance(value, list) else [])
            else:
                value, k = self.value_at(k)
                items.append(value)
            k = self.skip_to(k, {",", "]"}, self.depth[close] + 1) if k < close else k
            k += 1 if self.is_at(k, ",") and k < close else 0
            if k >= close or not self.is_at(k - 1, ","):
                break
        return items, close + 1

    def _object(self, k: int) -> tuple[JsValue, int]:
        close = self.match.get(k, k)
        inner = self.depth[k] + 1
        out: dict[str, JsValue] = {}
        k += 1
        while k < close:
            if self.is_at(k, "..."):
                spread, k = self.value_at(k + 1)
                if isinstance(spread, dict):
                    out.update(spread)
            else:
                key, line, k = self._key(k)
                if self.is_at(k, "?"):
                    k += 1
                if self.is_at(k, ":"):
                    value, k = self.value_at(k + 1)
                elif self.is_at(k, "(") or self.is_at(k, "<"):
                    value, k = self._arrow(k, self.skip_to(k, {"{"}, inner) - 1)
                else:
                    value = self.constant(key) if key is not None else None
                    if isinstance(value, JsExpr) and value.line == 0:
                        value = JsExpr(value.text, line)
                if key is not None:
                    out[key] = value
            k = self.skip_to(k, {",", "}"}, inner) if k < close else k
            if not self.is_at(k, ",") or k >= close:
                break
            k += 1
        return out, close + 1

    def _key(self, k: int) -> tuple[str | None, int, int]:
        while (
            self.tokens[k].kind == "name"
            and self.tokens[k].text in MODIFIERS
            and not self.is_at(k + 1, ":", "(", ",", "}", "=", "?")
        ) or self.is_at(k, "*"):
            k += 1
        tok = self.tokens[k]
        if tok.text == "[" and tok.kind == "punct":
            return None, tok.line, self.match.get(k, k) + 1
        return tok.text, tok.line, k + 1

    # -- readings adapters use -------------------------------------------------------------
    def default_export_index(self) -> int | None:
        """Token index of the value of `module.exports = ...` or `export default ...`."""
        found: int | None = None
        for k, tok in enumerate(self.tokens):
            if tok.text == "module" and self.is_at(k + 1, ".") and self.text_at(k + 2) == "exports":
                if self.is_at(k + 3, "="):
                    found = k + 4
            elif tok.text == "export" and (
                self.text_at(k + 1) == "default" or self.is_at(k + 1, "=")
            ):
                found = k + 2
        return found

    def default_export(self) -> JsValue:
        """The exported value, or None when the file exports nothing by default."""
        at = self.default_export_index()
        return None if at is None else self.value_at(at)[0]

    def find_new(self, class_name: str) -> list[tuple[JsValue, int]]:
        """The first argument of every `new ClassName(...)`, with its line."""
        found: list[tuple[JsValue, int]] = []
        for k, tok in enumerate(self.tokens):
            if tok.text != "new" or tok.kind != "name":
                continue
            j = k + 1
            while self.is_at(j + 1, ".") and self.text_at(j + 2):
                j += 2
            if self.text_at(j) == class_name and self.is_at(j + 1, "("):
                args = self._arguments(j + 1)
                found.append((args[0] if args else None, tok.line))
        return found
