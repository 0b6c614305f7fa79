"""Operations to and from plain JSON-able dicts.

Plans cross process and trust boundaries as JSON (`--json` output, eval cases, a model's
structured answer), so decoding is strict: unknown operation kinds and unknown fields are
errors, never silently dropped.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from . import ops as _ops
from . import ops_safe as _ops_safe
from . import schema as _schema
from .errors import SpecError

_NAMESPACE = {**vars(_schema), **vars(_ops), **vars(_ops_safe)}


def encode(op: _ops.Operation) -> dict[str, Any]:
    return op.to_dict()


def decode(data: dict[str, Any]) -> _ops.Operation:
    if not isinstance(data, dict) or "op" not in data:
        raise SpecError(
            "an operation must be an object with an 'op' field", "see `migwright sql --help`"
        )
    kind = data["op"]
    cls = _ops.OPERATIONS.get(kind)
    if cls is None:
        raise SpecError(
            f"unknown operation {kind!r}", f"use one of: {', '.join(sorted(_ops.OPERATIONS))}"
        )
    body = {k: v for k, v in data.items() if k != "op"}
    return typing.cast(_ops.Operation, _build(cls, body))


def _build(cls: type, body: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls, globalns=_NAMESPACE)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(body) - names
    if unknown:
        raise SpecError(
            f"{cls.__name__} has no field {sorted(unknown)[0]!r}",
            f"fields: {', '.join(sorted(names))}",
        )
    kwargs = {k: _value(hints[k], v) for k, v in body.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SpecError(f"{cls.__name__}: {exc}", "give every required field") from exc


def _value(hint: Any, value: Any) -> Any:
    if value == "__keep__":
        return _ops.KEEP
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        for option in options:
            is_record = isinstance(option, type) and dataclasses.is_dataclass(option)
            if is_record and isinstance(value, dict):
                return _build(option, value)
            if typing.get_origin(option) is tuple and isinstance(value, list):
                return _value(option, value)
        return value
    if origin is tuple:
        args = typing.get_args(hint)
        inner = args[0] if args else Any
        return tuple(_value(inner, v) for v in value)
    if isinstance(hint, type) and issubclass(hint, _ops.Operation) and isinstance(value, dict):
        return decode(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return _build(hint, value)
    return value
