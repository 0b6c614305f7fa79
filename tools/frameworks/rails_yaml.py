"""The small part of YAML that Rails' config/database.yml uses, read without PyYAML.

PyYAML is not a dependency, and database.yml needs little: nested mappings, lists of scalars,
anchors with merge keys (`<<: *default`), comments, and ERB tags left as text (nothing is
evaluated). Anything outside that subset, or malformed, is a ConfigError naming the line.
"""

from __future__ import annotations

import re
from typing import NoReturn

from ..errors import ConfigError

YamlValue = str | dict[str, "YamlValue"] | list[str] | None

_YAML_KEY = re.compile(
    r"(?P<key>\"[^\"]*\"|'[^']*'|[^\s:#'\"-][^:]*?)\s*:(?:[ \t]+(?P<value>.*?))?\s*"
)


class _YamlReader:
    """The small part of YAML that database.yml uses: nested mappings, scalar lists, anchors
    (`&default`), aliases and merge keys (`<<: *default`), comments, and ERB kept as text.

    Anything else (tabs, a line that is not `key: value`, a bad indent, an unknown alias) is a
    ConfigError naming the line, since Rails would refuse the file too.
    """

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.anchors: dict[str, YamlValue] = {}
        self.lines: list[tuple[int, int, str]] = []  # (indent, line number, text)
        for number, raw in enumerate(text.splitlines(), start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#") or stripped == "---":
                continue
            if stripped.startswith("<%") and not stripped.startswith("<%="):
                continue  # ERB control line such as <% if ENV["CI"] %>
            body = raw.lstrip(" ")
            if body.startswith("\t"):
                self.fail(number, "tab in indentation", "indent with spaces")
            self.lines.append((len(raw) - len(body), number, body.rstrip()))

    def fail(self, number: int, message: str, hint: str) -> NoReturn:
        raise ConfigError(f"{self.path}:{number}: {message}", hint)

    def read(self) -> dict[str, YamlValue]:
        if not self.lines:
            return {}
        value, end = self.block(0, self.lines[0][0])
        if end < len(self.lines):
            self.fail(
                self.lines[end][1], "unexpected indentation", "align the key with its siblings"
            )
        return value if isinstance(value, dict) else {}

    def block(self, i: int, indent: int) -> tuple[YamlValue, int]:
        if self.lines[i][2].startswith("- "):
            items: list[str] = []
            while i < len(self.lines) and self.lines[i][0] == indent:
                if not self.lines[i][2].startswith("- "):
                    self.fail(self.lines[i][1], "list item expected", "start the line with '- '")
                items.append(_unquote(self.lines[i][2][2:]))
                i += 1
            return items, i
        mapping: dict[str, YamlValue] = {}
        merges: list[str] = []
        while i < len(self.lines) and self.lines[i][0] >= indent:
            line_indent, number, body = self.lines[i]
            if line_indent != indent:
                self.fail(number, "unexpected indentation", "align the key with its siblings")
            match = _YAML_KEY.fullmatch(body)
            if match is None:
                self.fail(number, f"not a `key: value` line: {body[:60]!r}", "fix the YAML syntax")
            key, value = _unquote(match["key"]), _strip_comment(match["value"] or "")
            anchor = None
            if value.startswith("&"):
                anchor, _, value = value[1:].partition(" ")
                value = value.strip()
            i += 1
            child: YamlValue = None
            if value.startswith("*"):
                child = self.alias(value[1:], number)
                if key == "<<":
                    merges.append(value[1:])
                    continue
            elif value:
                child = _unquote(value)
            elif i < len(self.lines) and self.lines[i][0] > indent:
                child, i = self.block(i, self.lines[i][0])
            if anchor:
                self.anchors[anchor] = child
            mapping[key] = child
        for alias in merges:
            merged = self.anchors[alias]
            if isinstance(merged, dict):
                for merged_key, merged_value in merged.items():
                    mapping.setdefault(merged_key, merged_value)
        return mapping, i

    def alias(self, name: str, number: int) -> YamlValue:
        if name not in self.anchors:
            self.fail(number, f"unknown alias *{name}", f"define &{name} above this line")
        return self.anchors[name]


def read_yaml(text: str, path: str) -> dict[str, YamlValue]:
    """database.yml as nested dicts of strings (see _YamlReader for what is understood)."""
    return _YamlReader(text, path).read()


def _strip_comment(value: str) -> str:
    if value[:1] in "'\"":
        return value
    return re.sub(r"\s+#.*$", "", value).strip()


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
