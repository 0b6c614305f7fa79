"""References in Django and Jinja templates: `{{ order.total }}`, `{% if order.total %}`.

A template only knows its context variables by name, so the reader follows the conventions
Django's generic views and people use: a variable named after the model (`order`), `object` in
`<model>_detail.html` / `<model>_form.html`, and loop variables over a collection named after
it (`{% for o in orders %}`, `object_list` in `<model>_list.html`). Comments (`{# #}`,
`{% comment %}`) and string literals are blanked before matching, keeping offsets, so neither
can match.
"""

from __future__ import annotations

import posixpath
import re

from .references_types import (
    LIKELY,
    NAMED,
    CodeModel,
    Match,
    Reference,
    Source,
    Wanted,
    collection_names,
    instance_names,
    snake_case,
)

_COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.DOTALL)
_TAGS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_STRINGS = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\.\w+)+)")
_FOR = re.compile(r"\{%-?\s*for\s+([\w\s,]+?)\s+in\s+([\w.]+)")


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match[0])


def template_references(source: Source, wanted: Wanted) -> list[Reference]:
    """References to column targets in one template."""
    models = [m for m in wanted.models if m.kind != "core"]
    if not models or not wanted.columns():
        return []
    text = _COMMENTS.sub(_blank, source.text)
    loops = _loop_variables(text, models, source.path)
    refs: list[Reference] = []
    for tag in _TAGS.finditer(text):
        body = _STRINGS.sub(_blank, tag[0])
        for chain in _CHAIN.finditer(body):
            start = tag.start() + chain.start(2)
            refs.extend(_chain_refs(source, chain[1], chain[2], start, models, loops, wanted))
    return refs


def _loop_variables(text: str, models: list[CodeModel], path: str) -> dict[str, CodeModel]:
    """`{% for o in orders %}` -> o holds an Order."""
    loops: dict[str, CodeModel] = {}
    for match in _FOR.finditer(text):
        names = [n.strip() for n in match[1].split(",")]
        parts = [p for p in match[2].split(".") if p not in ("all", "items")]
        for model in models:
            listed = bool(parts) and parts[-1] in collection_names(model)
            if parts and parts[-1] in ("object_list", "page_obj") and _named_for(path, model):
                listed = True
            if listed and len(names) == 1:
                loops[names[0]] = model
    return loops


def _named_for(path: str, model: CodeModel) -> bool:
    """Generic views' template names: `orders/order_detail.html`, `order_list.html`."""
    return posixpath.basename(path).startswith(snake_case(model.name).replace("_", "") + "_") or (
        posixpath.basename(path).startswith(snake_case(model.name) + "_")
    )


def _chain_refs(
    source: Source,
    head: str,
    rest: str,
    start: int,
    models: list[CodeModel],
    loops: dict[str, CodeModel],
    wanted: Wanted,
) -> list[Reference]:
    current, sure = _variable(head, models, loops, source.path)
    refs: list[Reference] = []
    offset = start
    for attr in rest.split(".")[1:]:
        offset += 1  # the dot
        if current is not None:
            for target in wanted.attr(current, attr):
                refs.append(source.reference(offset, Match.TEMPLATE, sure, target))
        nxt = _by_name(current.relations.get(attr), models) if current is not None else None
        if nxt is None:
            nxt, named_sure = _variable(attr, models, {}, "")
            sure = min(sure, named_sure) if nxt is not None else sure
        current = nxt
        offset += len(attr)
    return refs


def _variable(
    name: str, models: list[CodeModel], loops: dict[str, CodeModel], path: str
) -> tuple[CodeModel | None, float]:
    if name in loops:
        return loops[name], LIKELY
    for model in models:
        if name in instance_names(model):
            return model, LIKELY
        if name == "object" and path and _named_for(path, model):
            return model, LIKELY
    return None, NAMED


def _by_name(name: str | None, models: list[CodeModel]) -> CodeModel | None:
    if name is None:
        return None
    return next((m for m in models if m.name == name), None)
