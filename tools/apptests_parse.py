"""Which tests failed, read from a test command's output.

Test runners print their failures in a few well-known shapes, and the report names the tests
that broke, so these are read line by line (no runner plugin is needed in the user's
environment):

- pytest's short summary (on by default, `-rfE`): `FAILED tests/test_x.py::test_y - msg`,
  `ERROR tests/test_x.py::test_y`, and the counts line `1 failed, 3 passed in 0.12s`;
- unittest and Django's `manage.py test`: `FAIL: test_y (app.tests.T.test_y)`, `ERROR: ...`,
  `Ran 4 tests`, `FAILED (failures=1, errors=1)`;
- jest/vitest: `● Suite > test name` (jest prints U+203A for the >), and
  `Tests: 1 failed, 3 passed, 4 total`;
- TAP (node --test, prove): `not ok 3 - test name`;
- RSpec: `rspec ./spec/x_spec.rb:12 # description`.

A name is listed once, in the order it first appears.
"""

from __future__ import annotations

import re

_PYTEST = re.compile(r"^(?:FAILED|ERROR) (?P<name>\S+?)(?: - .*)?$")
_UNITTEST = re.compile(r"^(?:FAIL|ERROR): (?P<test>\S+) \((?P<where>[\w.]+)\)")
_JEST = re.compile("^\\s*\u25cf (?P<name>.+\u203a.+)$")
_TAP = re.compile(r"^\s*not ok \d+ - (?P<name>.+?)(?:\s+#.*)?$")
_RSPEC = re.compile(r"^rspec (?P<name>\./\S+:\d+)(?: # .*)?$")
_PYTEST_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")
_PYTEST_TOTAL = re.compile(r"\bin \d+(?:\.\d+)?s\b")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ")
_UNITTEST_RESULT = re.compile(r"^(?:FAILED|OK)(?: \((?P<parts>[^)]*)\))?\s*$")
_JEST_COUNTS = re.compile(r"^Tests:\s+(?P<parts>.+)$")


def failed_tests(output: str) -> tuple[str, ...]:
    """The failing tests' names, as the runner that printed `output` names them."""
    names: list[str] = []
    for raw in output.splitlines():
        line = raw.rstrip()
        name = _name(line)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _name(line: str) -> str | None:
    found = _PYTEST.match(line)
    if found and ("::" in found["name"] or found["name"].endswith(".py")):
        return found["name"]
    found = _UNITTEST.match(line)
    if found:
        where, test = found["where"], found["test"]
        return where if where.endswith(f".{test}") else f"{where}.{test}"
    for pattern in (_JEST, _TAP, _RSPEC):
        found = pattern.match(line)
        if found:
            return found["name"].strip()
    return None


def count_tests(output: str) -> dict[str, int]:
    """passed / failed / errors / skipped, from the runner's summary line when it prints one."""
    counts: dict[str, int] = {}
    ran: int | None = None
    for raw in output.splitlines():
        line = raw.strip().strip("=").strip()
        if _PYTEST_TOTAL.search(line) and _PYTEST_COUNTS.search(line):
            counts = {_key(kind): int(n) for n, kind in _PYTEST_COUNTS.findall(line)}
            continue
        found = _UNITTEST_RAN.match(line)
        if found:
            ran = int(found[1])
            continue
        found = _UNITTEST_RESULT.match(line)
        if found and ran is not None:
            counts = _unittest_counts(ran, found["parts"] or "")
            continue
        found = _JEST_COUNTS.match(line)
        if found:
            pairs = re.findall(r"(\d+) (passed|failed|skipped|todo)", found["parts"])
            counts = {_key(kind): int(n) for n, kind in pairs}
    return counts


def _unittest_counts(ran: int, parts: str) -> dict[str, int]:
    named = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", parts)}
    failed = named.get("failures", 0)
    errors = named.get("errors", 0)
    skipped = named.get("skipped", 0)
    expected = named.get("expected_failures", 0)
    counts = {"passed": ran - failed - errors - skipped - expected, "failed": failed}
    if errors:
        counts["errors"] = errors
    if skipped:
        counts["skipped"] = skipped
    return counts


def _key(kind: str) -> str:
    return "errors" if kind in ("error", "errors") else kind
