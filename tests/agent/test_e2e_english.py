"""Plain English to validated files, end to end, on each dialect (issue 8's must-show).

Each case runs the real CLI in a subprocess (`python -m migwright new ... --json`) on a copy
of an example repo, with MIGWRIGHT_MODEL pointing at the scripted OpenAI-compatible server of
`tests/fake_llm_server.py`, so the request goes through the official SDK, the structured-output
wire format, the plan checks, the framework's renderer and the validator exactly as a user's
would. Then the same request in structured form runs offline (no model configured) on a fresh
copy, and both copies must hold the same files: the model only chose the operations, the
deterministic tools wrote everything else.

The two runs cannot share a revision id or a clock second, so the comparison replaces the
parts of the migration's name that differ between the runs (Alembic's random revision id,
Prisma's timestamp folder) and ISO datetimes (Alembic's `Create Date`) by placeholders; the
description is the same in both (the scripted answer's, and `--description` for the
structured run), so the rest of every name and every body must match byte for byte. One
part of the document is a measurement, not a rendering: the locks column of "Locks and
rewrites observed" is what a poller of pg_locks happened to see while the framework's runner
ran, and a fast ALTER is seen by one run and missed by the next, so that cell is masked too.
And one part is the model's by design: with a model configured, step 10 asks it for the
Purpose paragraph (the facts around it stay deterministic), so that paragraph is masked too
and checked on its own.

The other tests hold the boundary: plain English without a model is one line with the fix,
an answer naming an unknown column is repaired from migwright's error, and an answer that
drops a table the request did not ask to drop is refused, and nothing is written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import dialect_params, require_server
from fake_llm_server import FakeLLMServer, Reply

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"

#: Environment variables that would configure a model behind the test's back.
MODEL_VARIABLES = (
    "MIGWRIGHT_MODEL",
    "MIGWRIGHT_MODEL_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
)
NOISE_DIRS = ("__pycache__", "node_modules", ".pytest_cache")
NOISE = shutil.ignore_patterns(*NOISE_DIRS)


@dataclass(frozen=True)
class Case:
    """One request on one example repo, said in English and in the structured grammar."""

    repo: str
    english: str
    table: str
    column: str
    type: str  #: the type the scripted model answers with, and the structured request uses
    description: str

    def prose(self) -> str:
        """What a good model writes for the document's Purpose paragraph (step 10)."""
        return (
            f"This migration adds {self.column} to {self.table} as a nullable column, so the "
            "rows already there stay valid and no backfill is needed."
        )

    def answer(self) -> dict[str, Any]:
        """What a good model answers: the column, nullable, and nothing else."""
        column = {"name": self.column, "type": self.type, "nullable": True}
        return {
            "description": self.description,
            "operations": [{"op": "add_column", "table": self.table, "column": column}],
        }

    @property
    def structured(self) -> list[str]:
        return [
            "--add-column",
            f"{self.table}.{self.column} {self.type}",
            "--description",
            self.description,
        ]


#: One repo per dialect whose `migwright new` runs end to end with the repo's own tools:
#: Alembic's runner (random revision ids), Prisma's timestamped folders, golang-migrate's
#: numbered up/down pair.
CASES = {
    "sqlite": Case(
        "alembic-blog",
        "add a nullable archived_at timestamp to posts",
        "posts",
        "archived_at",
        "timestamp",
        "add archived_at to posts",
    ),
    "postgresql": Case(
        "prisma-shop",
        "add a nullable shipped_at timestamp to orders",
        "orders",
        "shipped_at",
        "timestamptz",
        "add shipped_at to orders",
    ),
    "mysql": Case(
        "golang-migrate-events",
        "add a nullable cancelled_at timestamp to tickets",
        "tickets",
        "cancelled_at",
        "timestamp",
        "add cancelled_at to tickets",
    ),
}
BLOG = CASES["sqlite"]


# ---------------------------------------------------------------------------------------------
# Running the CLI
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def copy_repo(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(REPOS / name, target, ignore=NOISE)
    return target


def cli_env(tmp_path: Path, server: FakeLLMServer | None) -> dict[str, str]:
    """The test's environment with no model configured, or the fake server as the model.

    XDG_CONFIG_HOME points at an empty folder so a developer's own
    ~/.config/migwright/config.toml cannot configure a model either.
    """
    env = {k: v for k, v in os.environ.items() if k not in MODEL_VARIABLES}
    config = tmp_path / "xdg-config"
    config.mkdir(exist_ok=True)
    env["XDG_CONFIG_HOME"] = str(config)
    if server is not None:
        env["MIGWRIGHT_MODEL"] = f"openai-compatible:{server.openai_url}:scripted-planner"
        env["MIGWRIGHT_MODEL_TIMEOUT"] = "30"
    return env


def migwright_new(
    repo: Path, args: list[str], env: dict[str, str], *, as_json: bool = True
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "migwright", "new", "-C", str(repo), "--rows", "100"]
    return subprocess.run(
        [*command, *args, *(["--json"] if as_json else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def run_json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.stdout.strip(), f"no JSON on stdout; stderr:\n{done.stderr[-3000:]}"
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def step(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["key"] == key)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path -> bytes), caches and node_modules left out."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not set(p.relative_to(root).parts) & set(NOISE_DIRS)
    }


def changed(original: dict[str, bytes], after: dict[str, bytes]) -> dict[str, bytes]:
    """Files added or modified since `original` (a run never deletes files)."""
    assert set(original) <= set(after), f"files disappeared: {set(original) - set(after)}"
    return {path: data for path, data in after.items() if original.get(path) != data}


# ---------------------------------------------------------------------------------------------
# Comparing two runs' files
# ---------------------------------------------------------------------------------------------

_NAME_PARTS = re.compile(r"[/_.\-]")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
#: A row of the document's "Locks and rewrites observed" table: | `statement` | locks | rewrite |
#: The Purpose paragraph of a document: the model's prose in one run, the deterministic text
#: in the other (everything else in the document is built from facts in both).
_PURPOSE = re.compile(r"(?s)(## Purpose\n\n).*?(\n\n## )")
_OBSERVED_LOCKS = re.compile(r"(?m)^(\| `[^`\n]*` \| )[^|\n]*( \| [^|\n]* \|)$")


def name_ids(name_a: str, name_b: str) -> list[tuple[str, str]]:
    """The parts of two names of the same migration that differ (revision id, timestamp).

    The names must otherwise agree part for part: the description, folder and extension come
    from the same description and the same framework convention.
    """
    parts_a, parts_b = _NAME_PARTS.split(name_a), _NAME_PARTS.split(name_b)
    assert len(parts_a) == len(parts_b), f"{name_a} and {name_b} are shaped differently"
    return [(a, b) for a, b in zip(parts_a, parts_b, strict=True) if a != b]


def normalised(files: dict[str, bytes], ids: list[str]) -> dict[str, str]:
    """`files` with each run-specific id, every ISO datetime and the observed locks of a
    document replaced by placeholders (see the module doc)."""

    def clean(text: str) -> str:
        text = _PURPOSE.sub(r"\1<PURPOSE>\2", text)
        for n, value in enumerate(ids):
            text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", f"<ID{n}>", text)
        text = _OBSERVED_LOCKS.sub(r"\1<OBSERVED>\2", text)
        return _DATETIME.sub("<DATETIME>", text)

    return {clean(path): clean(data.decode("utf-8")) for path, data in files.items()}


# ---------------------------------------------------------------------------------------------
# End to end on each dialect
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_params())
def test_plain_english_to_validated_files_and_the_structured_twin(
    dialect: str, server: FakeLLMServer, tmp_path: Path
) -> None:
    require_server(dialect)
    case = CASES[dialect]
    original = tree(REPOS / case.repo)

    # 1. Plain English, answered by the scripted model through the OpenAI SDK.
    english_repo = copy_repo(case.repo, tmp_path / "english")
    server.script(Reply.answer(case.answer()), Reply.text(case.prose()))
    done = migwright_new(english_repo, [case.english], cli_env(tmp_path, server))
    english = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    assert english["ok"] is True
    assert len(english["steps"]) == 10
    for s in english["steps"]:
        assert s["status"] in ("ok", "warning"), f"step {s['step']} {s['status']}: {s['error']}"
    plan = step(english, "plan")
    assert plan["outputs"]["description"] == case.description
    (added,) = plan["outputs"]["operations"]
    # (a dialect may add how it runs safely: "(ALGORITHM=INSTANT)", "(lock_timeout ...)")
    assert added.startswith(f"+ add column {case.table}.{case.column} {case.type}")
    assert plan["tokens"] > 0, "the model's tokens are counted on the plan step"
    testing = step(english, "testing")
    assert testing["summary"] == "passed"
    assert testing["outputs"]["report"]["ok"] is True
    assert testing["outputs"]["report"]["dialect"] == dialect

    # The model was asked for the plan, with the request and the table it concerns, then for
    # the document's prose, which is the Purpose paragraph and nothing else.
    sent, prose = server.requests
    assert sent.path.endswith("/chat/completions")
    assert case.english in sent.prompt_text
    assert case.table in sent.prompt_text and dialect in sent.prompt_text
    assert "Purpose paragraph" in prose.prompt_text
    assert step(english, "docs")["tokens"] > 0
    assert f"## Purpose\n\n{case.prose()}\n" in english["document"]

    # The files written are exactly what changed in the repo, and they say what was asked.
    english_files = changed(original, tree(english_repo))
    root = english_repo.resolve()
    written = {Path(p).resolve().relative_to(root).as_posix() for p in english["written"]}
    assert written == set(english_files)
    assert any(path.endswith(".md") for path in written), "the migration document is written"
    migration = next(f for f in english["files"] if f["kind"] == "migration")
    assert case.column in migration["content"]
    assert english_files[migration["path"]].decode("utf-8") == migration["content"]

    # 2. The same request in structured form, offline, on a fresh copy.
    structured_repo = copy_repo(case.repo, tmp_path / "structured")
    done = migwright_new(structured_repo, case.structured, cli_env(tmp_path, None))
    structured = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    assert step(structured, "plan")["tokens"] == 0, "no model was asked"
    assert step(structured, "testing")["summary"] == "passed"
    assert len(server.requests) == 2
    assert case.prose() not in structured["document"], "offline: the deterministic purpose"

    # 3. The same files, modulo the revision id / timestamp the two runs cannot share.
    structured_files = changed(original, tree(structured_repo))
    pairs = name_ids(plan["outputs"]["name"], step(structured, "plan")["outputs"]["name"])
    assert normalised(english_files, [a for a, _ in pairs]) == normalised(
        structured_files, [b for _, b in pairs]
    )


# ---------------------------------------------------------------------------------------------
# The boundary: no model, a repaired answer, a refused drop
# ---------------------------------------------------------------------------------------------


def test_plain_english_without_a_model_is_one_line_with_the_fix(tmp_path: Path) -> None:
    repo = copy_repo(BLOG.repo, tmp_path)
    before = tree(repo)
    done = migwright_new(repo, [BLOG.english], cli_env(tmp_path, None), as_json=False)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    (line,) = lines
    assert "no language model is configured" in line
    assert "MIGWRIGHT_MODEL" in line, "it says how to configure a model"
    assert "--add-column" in line, "it names the structured form to use instead"
    assert "Traceback" not in done.stdout + done.stderr
    assert tree(repo) == before, "nothing is written"


def test_an_unknown_column_goes_back_to_the_model_and_the_repair_passes(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo(BLOG.repo, tmp_path)
    request = "add a nullable archived_at timestamp to posts, with an index on it"
    good = BLOG.answer()
    index = {"op": "create_index", "table": "posts", "columns": ["archived_at"]}
    good["operations"].append(index)
    wrong = json.loads(json.dumps(good))
    wrong["operations"][1]["columns"] = ["archived_on"]  # a column that does not exist
    server.script(Reply.answer(wrong), Reply.answer(good), Reply.text(BLOG.prose()))

    done = migwright_new(repo, [request], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 0, done.stderr[-3000:]
    assert all(s["status"] in ("ok", "warning") for s in data["steps"])
    assert step(data, "testing")["outputs"]["report"]["ok"] is True

    first, second, _prose = server.requests
    assert "archived_on" not in first.prompt_text
    assert "Errors found by migwright" in second.prompt_text
    assert "archived_on" in second.prompt_text, "the repair shows the model its wrong answer"
    assert step(data, "plan")["outputs"]["operations"] == [
        "+ add column posts.archived_at timestamp",
        "+ create index ix_posts_archived_at on posts (archived_at)",
    ]
    migration = next(f for f in data["files"] if f["kind"] == "migration")
    assert "ix_posts_archived_at" in migration["content"]
    assert "archived_on" not in migration["content"]
    assert (repo / migration["path"]).read_text(encoding="utf-8") == migration["content"]


def test_a_drop_the_request_did_not_ask_for_is_refused(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    repo = copy_repo(BLOG.repo, tmp_path)
    before = tree(repo)
    sneaky = BLOG.answer()
    sneaky["operations"].append({"op": "drop_table", "table": "post_tags"})
    server.script(*[Reply.answer(sneaky)] * 3)  # the first answer and both repairs

    done = migwright_new(repo, [BLOG.english], cli_env(tmp_path, server))
    data = run_json(done)
    assert done.returncode == 2
    assert data["ok"] is False
    plan = step(data, "plan")
    assert plan["status"] == "failed"
    assert "did not ask to drop" in (plan["error"] or "")
    assert [s["status"] for s in data["steps"][2:]] == ["skipped"] * 8
    assert data["files"] == [] and data["written"] == []
    assert tree(repo) == before, "nothing is written"

    assert len(server.requests) == 3, "two repairs, then the run stops"
    for repair in server.requests[1:]:
        assert "destroys data the request did not ask to drop" in repair.prompt_text
