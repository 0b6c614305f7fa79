"""The MCP server as an assistant meets it: `migwright mcp` started as a subprocess and driven
through the SDK's own stdio client and ClientSession, on a copy of an example repository.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

EXAMPLE = Path(__file__).resolve().parents[2] / "evals" / "repos" / "alembic-blog"
TOOLS = {"inspect_repo", "plan_migration", "generate_migration", "validate_migration", "lint_sql"}
REQUEST = '--add-column "posts.shipped_at timestamptz" --add-index "posts (shipped_at)"'
OPERATIONS = [
    "+ add column posts.shipped_at timestamptz",
    "+ create index ix_posts_shipped_at on posts (shipped_at)",
]

needs_step_8 = pytest.mark.skipif(
    importlib.util.find_spec("migwright.agent.validation") is None,
    reason="step 8 (agent/validation.py) is not in this tree yet",
)


@asynccontextmanager
async def connected(root: Path) -> AsyncIterator[ClientSession]:
    """`migwright mcp --repo ROOT` over stdio, initialised.

    The SDK starts servers with a minimal environment; the test servers' URLs (MIGWRIGHT_*)
    and the import path are passed on, as an IDE's MCP configuration would set them.
    """
    env = {k: v for k, v in os.environ.items() if k.startswith("MIGWRIGHT_") or k == "PYTHONPATH"}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "migwright", "mcp", "--repo", str(root)],
        cwd=root,
        env=env,
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def drive(root: Path, script: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        with anyio.fail_after(600):
            async with connected(root) as session:
                return await script(session)

    return anyio.run(main)


def structured(result: Any) -> dict[str, Any]:
    assert isinstance(result, CallToolResult)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def error_text(result: Any) -> str:
    assert isinstance(result, CallToolResult)
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


def tree(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "alembic-blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return target


def test_lists_the_five_tools_with_schemas(repo: Path) -> None:
    async def script(session: ClientSession) -> Any:
        return await session.list_tools()

    listed = drive(repo, script)
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == TOOLS
    for name in ("plan_migration", "generate_migration", "validate_migration"):
        assert tools[name].input_schema["required"] == ["request"]
        assert "--add-column" in tools[name].input_schema["properties"]["request"]["description"]
    assert tools["lint_sql"].input_schema["required"] == ["sql"]
    assert "request" not in tools["inspect_repo"].input_schema.get("required", [])
    write = tools["generate_migration"].input_schema["properties"]["write"]
    assert write["default"] is False  # a dry run unless asked
    for tool in tools.values():
        assert tool.description and tool.output_schema is not None
        assert tool.output_schema["type"] == "object"
    assert tools["inspect_repo"].annotations.read_only_hint is True
    assert tools["generate_migration"].annotations.read_only_hint is False


def test_inspect_repo(repo: Path) -> None:
    async def script(session: ClientSession) -> Any:
        return await session.call_tool("inspect_repo", {"description": "add reading time"})

    data = structured(drive(repo, script))
    assert data["framework"] == "alembic" and data["dialect"] == "sqlite"
    assert data["count"] == 6 and data["heads"] == ["c4e6a8b0d2f4"]
    assert data["next_name"].startswith("alembic/versions/")
    assert data["next_name"].endswith("_add_reading_time.py")
    tables = [t["name"] for t in data["schema"]["current"]["tables"]]
    assert tables == ["comments", "post_tags", "posts", "tags", "users"]


def test_plan_migration_renders_and_writes_nothing(repo: Path) -> None:
    before = tree(repo)

    async def script(session: ClientSession) -> Any:
        return await session.call_tool("plan_migration", {"request": REQUEST})

    data = structured(drive(repo, script))
    assert data["ok"] is True
    keys = [s["key"] for s in data["steps"]]
    assert keys == ["analyse", "plan", "schema", "data", "rollback", "practices"]
    steps = {s["key"]: s for s in data["steps"]}
    assert steps["plan"]["outputs"]["operations"] == OPERATIONS
    sql = [s["sql"] for s in steps["schema"]["outputs"]["statements"]]
    assert any("shipped_at" in s and "ALTER TABLE" in s.upper() for s in sql)
    assert steps["rollback"]["outputs"]["data_loss"] == []
    assert data["files"] == [] and data["written"] == [] and data["dry_run"] is True
    assert tree(repo) == before


def test_generate_migration_is_a_dry_run_until_write(repo: Path) -> None:
    before = tree(repo)

    async def script(session: ClientSession) -> Any:
        dry = await session.call_tool("generate_migration", {"request": REQUEST, "validate": False})
        unchanged = tree(repo)
        wrote = await session.call_tool(
            "generate_migration", {"request": REQUEST, "validate": False, "write": True}
        )
        return dry, unchanged, wrote

    dry_result, after_dry, write_result = drive(repo, script)
    dry = structured(dry_result)
    assert dry["ok"] is True and dry["dry_run"] is True and dry["written"] == []
    assert [s["step"] for s in dry["steps"]] == list(range(1, 11))
    migration = next(f for f in dry["files"] if f["kind"] == "migration")
    assert migration["path"].startswith("alembic/versions/")
    assert "shipped_at" in migration["content"] and dry["document"]
    assert after_dry == before

    wrote = structured(write_result)
    assert wrote["ok"] is True and wrote["dry_run"] is False
    new_files = tree(repo) - before
    assert {Path(p).resolve() for p in wrote["written"]} == {
        (repo / p).resolve() for p in new_files
    }
    assert {Path(p).suffix for p in new_files} == {".py", ".md"}


def test_a_failed_step_is_a_document_and_bad_input_a_tool_error(repo: Path) -> None:
    async def script(session: ClientSession) -> Any:
        unknown = await session.call_tool(
            "generate_migration", {"request": '--add-column "no_such_table.note text"'}
        )
        quotes = await session.call_tool("plan_migration", {"request": '--add-column "posts.x'})
        folder = await session.call_tool("inspect_repo", {"path": "no/such/folder"})
        dialect = await session.call_tool("lint_sql", {"sql": "select 1", "dialect": "nosuch"})
        return unknown, quotes, folder, dialect

    unknown, quotes, folder, dialect = drive(repo, script)
    failed = structured(unknown)
    assert failed["ok"] is False and failed["files"] == []
    step = next(s for s in failed["steps"] if s["status"] == "failed")
    assert step["key"] == "plan" and "no_such_table" in step["error"]
    assert step["outputs"]["exit_code"] == 2
    assert "quote" in error_text(quotes)
    assert "no such folder" in error_text(folder)
    assert "unknown SQL dialect 'nosuch'" in error_text(dialect)


def test_lint_sql(repo: Path) -> None:
    async def script(session: ClientSession) -> Any:
        bad = await session.call_tool(
            "lint_sql", {"sql": "CREATE INDEX ix_posts_title ON posts (title);"}
        )
        good = await session.call_tool(
            "lint_sql",
            {
                "sql": "SET lock_timeout = '2s';\n"
                "CREATE INDEX CONCURRENTLY ix_posts_title ON posts (title);",
                "down": "DROP INDEX CONCURRENTLY ix_posts_title;",
                "rules": ["require-concurrent-index-creation"],
            },
        )
        return bad, good

    bad_result, good_result = drive(repo, script)
    bad = structured(bad_result)
    assert bad["dialect"] == "postgresql" and bad["statements"] == 1
    assert bad["failed"] is True and bad["summary"]["error"] >= 1
    finding = next(f for f in bad["findings"] if f["rule"] == "require-concurrent-index-creation")
    assert finding["severity"] == "error" and "CONCURRENTLY" in finding["safe_alternative"]
    good = structured(good_result)
    assert good["rules"] == ["require-concurrent-index-creation"]
    assert good["findings"] == [] and good["failed"] is False


@needs_step_8
def test_validate_migration(repo: Path) -> None:
    before = tree(repo)

    async def script(session: ClientSession) -> Any:
        return await session.call_tool("validate_migration", {"request": REQUEST, "rows": 50})

    data = structured(drive(repo, script))
    assert [s["key"] for s in data["steps"]][-2:] == ["testing", "performance"]
    report = data["report"]
    assert report["ok"] is True, report
    assert report["dialect"] == "sqlite" and report["rows"] == 50
    assert {"up", "down", "re-up"} <= {p["name"] for p in report["phases"]}
    assert data["ok"] is True and data["written"] == []
    assert tree(repo) == before
