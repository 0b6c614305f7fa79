"""Expected references read from the fixtures themselves.

Each fixture line that must be found ends with a comment marked `REF` (`# REF`, `// REF`,
`-- REF`, `{# REF #}`, `<%# REF %>`); each near miss (the word in a comment, another table's
column of the same name, a local variable) is marked `NEAR`. A test then asserts that the
finder reports exactly the REF lines (precision and recall both 1.0) and none of the NEAR ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from migwright.tools.references import Reference

FIXTURES = Path(__file__).parent / "fixtures"
_MARKER = re.compile(r"(?:#|//|--|\{#|<%#)\s*(REF|NEAR)\b")


def markers(root: Path) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """(REF lines, NEAR lines) as (relative path, 1-based line) pairs."""
    refs: set[tuple[str, int]] = set()
    nears: set[tuple[str, int]] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in _MARKER.finditer(line):
                (refs if match[1] == "REF" else nears).add((rel, number))
    return refs, nears


def lines(refs: Iterable[Reference]) -> set[tuple[str, int]]:
    return {(r.path, r.line) for r in refs}


def score(found: set[tuple[str, int]], expected: set[tuple[str, int]]) -> tuple[float, float]:
    """(precision, recall) of the lines found against the lines expected."""
    hits = len(found & expected)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(expected) if expected else 1.0
    return precision, recall
