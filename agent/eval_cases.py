"""Case files of `migwright eval`: `evals/cases/<id>.toml`, one case each, checked key by key.

    about = "why this case exists"             # optional, for people
    repo = "alembic-blog"                      # a folder under evals/repos/
    request = ["--add-column", "posts.reading_time integer"]   # argv, as `migwright new`
    # or: english = "..." with [model_answer] (a PlanAnswer, served up to 3 times, so the
    # repairs see it too) or [[model_answers]] (served in turn: a bad one, then a good one)
    dialect = "postgresql"                     # optional: validate on another database
    framework = "alembic"                      # optional: --framework
    rows = 200                                 # optional: --rows
    validate = false                           # optional: --no-validate

    [expect]                                   # every key optional; what is given is scored
    framework = "alembic"                      # detection (the adapter's name)
    next_name = 're:^alembic/versions/[0-9a-f]{12}_add_reading_time_to_posts\\.py$'
    operations = ["+ add column posts.reading_time integer"]   # describe() lines, in order
    validation = "pass"                        # pass | fail | skipped
    lint = []                                  # the rule ids a correct linter finds
    refused = "no table named"                 # words of the one-line error (exit 2)
    unchanged = ["alembic/env.py"]             # files or folders ("." = the whole repo)

A typo in a key is an error, not a case that quietly scores nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ..tools.errors import ConfigError

CASE_KEYS = frozenset(
    {"about", "repo", "request", "english", "model_answer", "model_answers", "dialect",
     "framework", "rows", "validate", "expect"}
)  # fmt: skip
EXPECT_KEYS = frozenset(
    {"framework", "next_name", "operations", "validation", "lint", "refused", "unchanged"}
)
VALIDATIONS = ("pass", "fail", "skipped")
#: How often a single `model_answer` is served: the first try plus plan_from_english's repairs.
ANSWER_REPEATS = 3
CASE_HINT = "see agent/eval_cases.py for the case format"


@dataclass(frozen=True)
class Expect:
    framework: str | None = None
    next_name: str | None = None
    operations: tuple[str, ...] | None = None
    validation: str | None = None
    lint: tuple[str, ...] | None = None
    refused: str | None = None
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    file: Path
    repo: str
    request: tuple[str, ...] = ()
    english: str | None = None
    model_answers: tuple[dict[str, Any], ...] = ()
    dialect: str | None = None
    framework: str | None = None
    rows: int | None = None
    validate: bool = True
    about: str = ""
    expect: Expect = field(default_factory=Expect)

    @property
    def kind(self) -> str:
        return "english" if self.english is not None else "structured"


def load_cases(evals_dir: Path, only: Sequence[str] = ()) -> list[Case]:
    """Every case under `evals_dir/cases`, sorted by id; `only` keeps ids that contain, or
    glob-match, one of its patterns. Any problem is a ConfigError naming the file."""
    cases_dir, repos_dir = evals_dir / "cases", evals_dir / "repos"
    for folder in (evals_dir, cases_dir, repos_dir):
        if not folder.is_dir():
            raise ConfigError(
                f"{folder}: no such folder",
                "give the evals folder, the one holding cases/ and repos/ (e.g. `evals/`)",
            )
    files = sorted(cases_dir.glob("*.toml"))
    if not files:
        raise ConfigError(f"{cases_dir}: no *.toml case files", CASE_HINT)
    cases = [parse_case(path, repos_dir) for path in files]
    if only:
        for pattern in only:
            if not any(_selected(c.id, [pattern]) for c in cases):
                raise ConfigError(f"no case matches {pattern!r}", "see the ids in evals/cases/")
        cases = [c for c in cases if _selected(c.id, only)]
    return cases


def _selected(case_id: str, patterns: Sequence[str]) -> bool:
    return any(p in case_id or fnmatchcase(case_id, p) for p in patterns)


def parse_case(path: Path, repos_dir: Path) -> Case:
    """One case file, checked key by key: a typo in a key must not quietly score nothing.

    Messages name tables as `expect.key`, never in square brackets, which the CLI's rich
    console would read as markup."""

    def bad(problem: str) -> ConfigError:
        return ConfigError(f"{path}: {problem}", CASE_HINT)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return _raise(bad(f"not valid TOML: {exc}"))
    unknown = sorted(set(data) - CASE_KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(CASE_KEYS))})")
    repo = _typed(data, "repo", str, bad, required=True)
    if not (repos_dir / repo).is_dir():
        raise bad(f"repo {repo!r} is not a folder under {repos_dir}")
    request = _typed(data, "request", list, bad)
    english = _typed(data, "english", str, bad)
    if (request is None) == (english is None):
        raise bad("give exactly one of `request` (a list of arguments) or `english` (text)")
    if request is not None and (not request or not all(isinstance(a, str) for a in request)):
        raise bad("`request` must be a non-empty list of strings")
    answers = _answers(data, english, bad)
    dialect = _typed(data, "dialect", str, bad)
    if dialect is not None:
        from ..tools.dialects import get as get_dialect
        from ..tools.errors import DialectError

        try:
            dialect = get_dialect(dialect).name
        except DialectError as exc:
            raise bad(exc.one_line()) from None
    rows = _typed(data, "rows", int, bad)
    return Case(
        id=path.stem,
        file=path,
        repo=repo,
        request=tuple(request or ()),
        english=english,
        model_answers=answers,
        dialect=dialect,
        framework=_typed(data, "framework", str, bad),
        rows=rows,
        validate=bool(_typed(data, "validate", bool, bad, default=True)),
        about=_typed(data, "about", str, bad, default=""),
        expect=_expect(data.get("expect"), bad),
    )


def _raise(error: Exception) -> Any:
    raise error


def _typed(
    data: dict[str, Any],
    key: str,
    kind: type,
    bad: Callable[[str], ConfigError],
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    if key not in data:
        if required:
            raise bad(f"missing `{key}`")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise bad(f"`{key}` must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _answers(
    data: dict[str, Any], english: str | None, bad: Callable[[str], ConfigError]
) -> tuple[dict[str, Any], ...]:
    one = _typed(data, "model_answer", dict, bad)
    many = _typed(data, "model_answers", list, bad)
    if english is None:
        if one is not None or many is not None:
            raise bad("`model_answer(s)` belong to an `english` case")
        return ()
    if (one is None) == (many is None):
        raise bad("an `english` case needs `model_answer` (a table) or `model_answers` (a list)")
    if many is not None and (not many or not all(isinstance(a, dict) for a in many)):
        raise bad("`model_answers` must be a non-empty list of tables")
    return (one,) * ANSWER_REPEATS if one is not None else tuple(many or ())


def _expect(raw: Any, bad: Callable[[str], ConfigError]) -> Expect:
    if not isinstance(raw, dict) or not raw:
        raise bad("missing the expect table (what a correct run does)")
    unknown = sorted(set(raw) - EXPECT_KEYS)
    if unknown:
        raise bad(f"unknown key(s) in the expect table: {', '.join(unknown)}")

    def strings(key: str) -> tuple[str, ...] | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f"expect.{key} must be a list of strings")
        return tuple(value)

    validation = _typed(raw, "validation", str, bad)
    if validation is not None and validation not in VALIDATIONS:
        raise bad(f"expect.validation must be one of {', '.join(VALIDATIONS)}")
    refused = _typed(raw, "refused", str, bad)
    if refused is not None and validation is not None:
        raise bad("expect.refused: a refused request is never validated, drop expect.validation")
    next_name = _typed(raw, "next_name", str, bad)
    if next_name and next_name.startswith("re:"):
        try:
            re.compile(next_name[3:])
        except re.error as exc:
            raise bad(f"expect.next_name: bad regular expression: {exc}") from None
    return Expect(
        framework=_typed(raw, "framework", str, bad),
        next_name=next_name,
        operations=strings("operations"),
        validation=validation,
        lint=strings("lint"),
        refused=refused,
        unchanged=strings("unchanged") or (),
    )
