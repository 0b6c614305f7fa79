"""`migwright new` as a person runs it, for the models-in-step tests: a real process on a copy
of an example repo (evals/repos is never written), one JSON document back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPOS = Path(__file__).resolve().parents[2] / "evals" / "repos"


def copy_repo(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    ignored = shutil.ignore_patterns("node_modules", "__pycache__")
    shutil.copytree(REPOS / name, target, ignore=ignored)
    return target


def offline_env(tmp_path: Path) -> dict[str, str]:
    """No language model: structured requests only, nothing read from ~/.config."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MIGWRIGHT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY")
    }
    (tmp_path / "xdg").mkdir(exist_ok=True)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return env


def run_new(
    repo: Path, tmp_path: Path, *args: str, as_json: bool = True
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "migwright", "new", "-C", str(repo), "--rows", "50"]
    return subprocess.run(
        [*command, *(["--json"] if as_json else []), *args],
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def new_json(repo: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    """The run's JSON document; the run must have passed (validation included)."""
    done = run_new(repo, tmp_path, *args)
    assert done.stdout.strip(), done.stderr[-3000:]
    data: dict[str, Any] = json.loads(done.stdout)
    failed = [s for s in data["steps"] if s["status"] == "failed"]
    assert done.returncode == 0 and data["ok"], failed or done.stderr[-3000:]
    return data


def step(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["key"] == key)


def written(data: dict[str, Any], repo: Path) -> set[str]:
    return {Path(p).relative_to(repo).as_posix() for p in data["written"]}
