"""A repo's JavaScript formatting choices: its prettier config, or what its files show.

Generated JS/TS must read like the rest of the repo and survive `prettier --check` where the
repo uses prettier, so every JS renderer asks `style_for` which quotes, semicolons, indent,
print width and trailing commas to use, and quotes strings with `quote`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..repo import RepoFacts


@dataclass(frozen=True)
class JsStyle:
    """Formatting choices of one repo (prettier's option names in comments)."""

    quote: str = "'"  # singleQuote
    semi: bool = True  # semi
    indent: str = "  "  # tabWidth / useTabs
    width: int = 80  # printWidth
    trailing_comma: bool = True  # trailingComma: "all" (prettier 3's default) or "es5"
    source: str = "defaults"  #: where the choices came from, for reports

    @property
    def end(self) -> str:
        return ";" if self.semi else ""


_PRETTIER_FILES = (".prettierrc", ".prettierrc.json", ".prettierrc.json5")


def prettier_config(repo: RepoFacts, root: str = ".") -> dict[str, object] | None:
    """The repo's prettier options (JSON or simple YAML `.prettierrc`, package.json "prettier").

    Only static configs are read; a `.prettierrc.js` is a program and counts as "configured,
    defaults assumed" (an empty dict), like any config whose content cannot be read.
    """
    folders = [root] if root in ("", ".") else [root, "."]
    for folder in folders:
        prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
        for name in _PRETTIER_FILES:
            if prefix + name in repo.files:
                return _parse_rc(repo.read(prefix + name))
        for name in (".prettierrc.yaml", ".prettierrc.yml"):
            if prefix + name in repo.files:
                return _parse_yaml(repo.read(prefix + name))
        for name in ("prettier.config.js", ".prettierrc.js", ".prettierrc.cjs", ".prettierrc.mjs"):
            if prefix + name in repo.files:
                return {}
        manifest = prefix + "package.json"
        if manifest in repo.files:
            try:
                data = json.loads(repo.read(manifest))
            except ValueError:
                data = {}
            if isinstance(data, dict) and isinstance(data.get("prettier"), dict):
                return dict(data["prettier"])
    return None


def _parse_rc(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        return _parse_yaml(text)
    return dict(data) if isinstance(data, dict) else {}


def _parse_yaml(text: str) -> dict[str, object]:
    """`key: value` lines, the only YAML prettier configs use in practice."""
    out: dict[str, object] = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$", line)
        if not m:
            continue
        raw = m[2].strip("'\"")
        value: object = raw
        if raw in ("true", "false"):
            value = raw == "true"
        elif raw.isdigit():
            value = int(raw)
        out[m[1]] = value
    return out


def style_for(repo: RepoFacts, samples: Iterable[str] = (), root: str = ".") -> JsStyle:
    """The repo's style: its prettier config when it has one, else what `samples` show.

    `samples` are relative paths of files written by the team (existing migrations, models):
    the quote most of their strings use, whether statements end in `;`, whether multi-line
    argument lists end in a comma, the indent unit, and a print width of 80 unless their lines
    are longer (then 100 or 120, the two widths teams pick).
    """
    texts = [repo.read(p) for p in samples if p in repo.files]
    inferred = _infer(texts)
    config = prettier_config(repo, root)
    if config is None:
        return inferred
    indent = "\t" if config.get("useTabs") is True else " " * _int(config.get("tabWidth"), 2)
    trailing = config.get("trailingComma", "all")
    return JsStyle(
        quote="'" if config.get("singleQuote") is True else '"',
        semi=config.get("semi", True) is not False,
        indent=indent,
        width=_int(config.get("printWidth"), 80),
        trailing_comma=trailing != "none",
        source="prettier config",
    )


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _infer(texts: Sequence[str]) -> JsStyle:
    if not texts:
        return JsStyle()
    joined = "\n".join(texts)
    singles = len(re.findall(r"'[^'\n\\]*'", joined))
    doubles = len(re.findall(r'"[^"\n\\]*"', joined))
    lines = [ln for ln in joined.splitlines() if ln.strip()]
    code = [ln for ln in lines if not ln.lstrip().startswith(("//", "*", "/*"))]
    semis = sum(ln.rstrip().endswith(";") for ln in code)
    indents = [len(ln) - len(ln.lstrip(" ")) for ln in code if ln.startswith(" ")]
    unit = min((i for i in indents if i), default=2)
    tabs = any(ln.startswith("\t") for ln in code)
    longest = max((len(ln) for ln in lines), default=0)
    width = 80 if longest <= 80 else 100 if longest <= 100 else 120
    breaks_with_comma = len(re.findall(r",\n\s*[)\]}]", joined))
    breaks_without = len(re.findall(r"[^,\s{(\[]\n\s*[)\]]", joined))
    return JsStyle(
        quote="'" if singles >= doubles else '"',
        semi=semis * 2 >= len([ln for ln in code if re.search(r"[)\w'\"]$", ln.rstrip())]),
        indent="\t" if tabs else " " * (4 if unit == 4 else 2),
        width=width,
        trailing_comma=breaks_with_comma >= breaks_without,
        source="inferred from existing files",
    )


_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")


def quote(text: str, style: JsStyle) -> str:
    """A string literal: the preferred quote unless the other needs fewer escapes."""
    preferred, other = style.quote, '"' if style.quote == "'" else "'"
    q = other if text.count(preferred) > text.count(other) else preferred
    body = (
        text.replace("\\", "\\\\")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace(q, "\\" + q)
    )
    return f"{q}{body}{q}"


def key(name: str, style: JsStyle) -> str:
    """An object key: bare when it is an identifier, quoted otherwise."""
    return name if _IDENT.match(name) else quote(name, style)
