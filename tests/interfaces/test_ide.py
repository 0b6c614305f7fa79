"""The slash command as its user meets it: installed by `migwright ide install`, expanded the way
Claude Code expands `$ARGUMENTS`, and its command lines run in a shell on a copy of an example
repository, whose JSON document must hold every field the prompt tells the assistant to show.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migwright.agent import ide

EXAMPLE = Path(__file__).resolve().parents[2] / "evals" / "repos" / "alembic-blog"
CLAUDE_FILE = ".claude/commands/create-database-migration.md"
CURSOR_FILE = ".cursor/commands/create-database-migration.md"
REQUEST = '--add-column "posts.shipped_at timestamptz" --add-index "posts (shipped_at)"'

needs_step_8 = pytest.mark.skipif(
    importlib.util.find_spec("migwright.agent.validation") is None,
    reason="step 8 (agent/validation.py) is not in this tree yet",
)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migwright", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command line as an assistant's shell tool does, with this venv's migwright first."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def expand(body: str, arguments: str) -> str:
    """What Claude Code does with a command file: every `$ARGUMENTS` becomes the typed text."""
    return body.replace("$ARGUMENTS", arguments)


def command_lines(body: str) -> list[str]:
    """The shell commands in the prompt's ```sh blocks, in order."""
    blocks = re.findall(r"^[ \t]*```sh\n(.*?)^[ \t]*```", body, flags=re.M | re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def front_matter(text: str) -> tuple[dict[str, object], str]:
    yaml = pytest.importorskip("yaml")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data, body


def tree(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".claude" not in p.parts
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "alembic-blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return target


def installed_claude_command(repo: Path) -> str:
    done = cli("ide", "install", str(repo), "--claude")
    assert done.returncode == 0, done.stderr
    assert CLAUDE_FILE in done.stdout
    return (repo / CLAUDE_FILE).read_text(encoding="utf-8")


# -- the file ---------------------------------------------------------------------------------
def test_claude_command_has_the_front_matter_claude_code_reads() -> None:
    meta, body = front_matter(ide.render("claude"))
    assert set(meta) == {"description", "argument-hint", "allowed-tools"}
    assert "migration" in str(meta["description"])
    assert "--add-column" in str(meta["argument-hint"])
    tools = [t.strip() for t in str(meta["allowed-tools"]).split(",")]
    assert "Bash(migwright new:*)" in tools
    assert all(t.startswith("Bash(") and t.endswith(":*)") for t in tools)
    assert "$ARGUMENTS" in body
    # dry run first, then the same request without --dry-run once the person agreed
    assert command_lines(body) == [
        "migwright new $ARGUMENTS --dry-run --json",
        "migwright new $ARGUMENTS --json",
    ]


def test_prompt_covers_plan_lint_validation_files_and_asking() -> None:
    body = ide.render("claude")
    for words in (
        "step 2",  # the plan
        "step 7",  # lint findings
        "step 8",  # validation report
        "Files",
        "Ask the person",
        "write nothing before they say yes",
        "stop",
    ):
        assert words in body


def test_cursor_command_is_plain_markdown_naming_the_request() -> None:
    text = ide.render("cursor")
    assert not text.startswith("---")
    assert "$ARGUMENTS" not in text
    assert "/create-database-migration" in text
    assert command_lines(text)[0] == "migwright new <request> --dry-run --json"


def test_generic_command_keeps_the_portable_keys() -> None:
    meta, body = front_matter(ide.render("generic"))
    assert set(meta) == {"description", "argument-hint"}
    assert "$ARGUMENTS" in body


# -- the round trip through a shell ----------------------------------------------------------
def test_slash_command_dry_run_then_write_on_confirmation(repo: Path) -> None:
    body = installed_claude_command(repo)
    arguments = f"{REQUEST} --no-validate"
    dry, write = command_lines(expand(body, arguments))
    assert dry == f"migwright new {arguments} --dry-run --json"
    before = tree(repo)

    done = shell(dry, repo)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # every top-level field the prompt names is in the document
    for key in ("ok", "steps", "files", "document", "written", "dry_run"):
        assert key in data
        assert f"`{key}`" in body
    assert data["ok"] is True and data["dry_run"] is True and data["written"] == []
    steps = {s["key"]: s for s in data["steps"]}
    assert [s["step"] for s in data["steps"]] == list(range(1, 11))
    plan = steps["plan"]["outputs"]
    assert plan["operations"] == [
        "+ add column posts.shipped_at timestamptz",
        "+ create index ix_posts_shipped_at on posts (shipped_at)",
    ]
    assert plan["reversibility"] == "lossless" and plan["data_loss"] == []
    assert re.fullmatch(r"alembic/versions/[0-9a-f]{12}_.*shipped_at.*\.py", plan["name"])
    for key in ("name", "description", "operations", "reversibility", "data_loss", "notes"):
        assert key in plan and f"`{key}`" in body
    assert steps["practices"]["outputs"]["findings"] == []
    assert steps["testing"]["status"] == "skipped"  # --no-validate, as the person asked
    assert "irreversible" in steps["rollback"]["outputs"]
    assert "document_path" in steps["docs"]["outputs"]
    migration = next(f for f in data["files"] if f["kind"] == "migration")
    assert migration["path"] == plan["name"] and "shipped_at" in migration["content"]
    assert tree(repo) == before  # a dry run writes nothing

    done = shell(write, repo)  # the person said yes
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout)
    assert written["ok"] is True and written["dry_run"] is False
    new_files = tree(repo) - before
    assert {Path(p).resolve() for p in written["written"]} == {
        (repo / p).resolve() for p in new_files
    }
    assert any(p.endswith(".py") for p in new_files) and any(p.endswith(".md") for p in new_files)
    script = next(repo / p for p in new_files if p.endswith(".py"))
    assert "shipped_at" in script.read_text(encoding="utf-8")


@needs_step_8
def test_slash_command_dry_run_reports_the_validation(repo: Path) -> None:
    body = installed_claude_command(repo)
    dry = command_lines(expand(body, REQUEST))[0]
    before = tree(repo)
    done = shell(dry, repo)
    data = json.loads(done.stdout)
    steps = {s["key"]: s for s in data["steps"]}
    assert steps["testing"]["status"] == "ok", steps["testing"]
    report = steps["testing"]["outputs"]["report"]
    assert report["ok"] is True and report["dialect"] == "sqlite"
    phases = {p["name"]: p for p in report["phases"]}
    assert {"up", "down", "re-up"} <= set(phases)
    for phase in phases.values():
        assert {"name", "status", "ok", "seconds", "verdicts", "failure"} <= set(phase)
    assert done.returncode == 0 and data["ok"] is True
    assert tree(repo) == before


def test_slash_command_shows_the_failed_step(repo: Path) -> None:
    body = installed_claude_command(repo)
    dry = command_lines(expand(body, '--add-column "no_such_table.note text"'))[0]
    done = shell(dry, repo)
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert data["ok"] is False
    failed = [s for s in data["steps"] if s["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["step"] == 2 and failed[0]["title"]
    assert "no_such_table" in failed[0]["error"]
    assert data["files"] == [] and data["written"] == []


# -- install ---------------------------------------------------------------------------------
def test_install_never_overwrites_without_force(tmp_path: Path) -> None:
    own = tmp_path / CLAUDE_FILE
    own.parent.mkdir(parents=True)
    own.write_text("my own command\n", encoding="utf-8")

    refused = cli("ide", "install", str(tmp_path))
    assert refused.returncode == 2
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--force" in lines[0]
    assert "Traceback" not in refused.stderr
    assert own.read_text(encoding="utf-8") == "my own command\n"

    forced = cli("ide", "install", str(tmp_path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert own.read_text(encoding="utf-8") == ide.render("claude")

    again = cli("ide", "install", str(tmp_path))  # the same text: nothing to overwrite
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout
    assert [p.name for p in own.parent.iterdir()] == [own.name]  # no temporary files left


def test_install_writes_a_shareable_file(tmp_path: Path) -> None:
    assert cli("ide", "install", str(tmp_path)).returncode == 0
    mask = os.umask(0)
    os.umask(mask)
    # what the umask allows, as for any file the person creates (not the writer's private 0600)
    assert (tmp_path / CLAUDE_FILE).stat().st_mode & 0o777 == 0o666 & ~mask


def test_install_for_cursor(tmp_path: Path) -> None:
    done = cli("ide", "install", str(tmp_path), "--cursor")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / CURSOR_FILE).read_text(encoding="utf-8") == ide.render("cursor")
    assert not (tmp_path / ".claude").exists()


def test_install_defaults_to_cursor_in_a_cursor_repo(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    done = cli("ide", "install", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / CURSOR_FILE).is_file() and not (tmp_path / ".claude").exists()


def test_print_writes_nothing(tmp_path: Path) -> None:
    done = cli("ide", "install", "--print", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ide.render("generic")
    assert list(tmp_path.iterdir()) == []
    cursor = cli("ide", "install", "--print", "--cursor", cwd=tmp_path)
    assert cursor.stdout == ide.render("cursor")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [(("--claude", "--cursor"), "exclude each other"), (("/no/such/repo",), "not a directory")],
)
def test_install_bad_input_is_one_line(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    done = cli("ide", "install", *args, cwd=tmp_path)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0]
    assert list(tmp_path.iterdir()) == []
