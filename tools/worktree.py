"""The repository's committed state as a folder of its own: a `git worktree` of HEAD.

"Old code against the new schema" runs the code that is deployed now, and the committed HEAD
is the closest thing to it the repository knows. `git worktree add --detach` checks it out in a
temporary folder without touching the person's working tree, index or branches; the worktree
is removed afterwards (also when the tests fail or are interrupted), and `git worktree prune`
clears its bookkeeping if the folder went away some other way. Untracked installed-package
folders the code needs to run (`node_modules`, `.venv`) are linked from the working tree, as the
validation's copy links them.

Uses the git CLI (the worktree commands are not in GitPython's object API).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

#: Folders the worktree links to from the working tree: installed packages, never committed.
LINKED = ("node_modules", ".venv", "venv")
_TIMEOUT = 60.0


@dataclass(frozen=True)
class Worktree:
    """A checkout of HEAD: `path` is the folder matching the repo root migwright was given
    (a subfolder when that root is inside a larger git repository)."""

    path: Path
    commit: str


def why_no_worktree(root: Path) -> str | None:
    """One line saying why HEAD cannot be checked out for `root`, or None when it can."""
    if shutil.which("git") is None:
        return "git is not installed, so the committed code cannot be checked out"
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return f"{root} is not in a git repository, so there is no committed code to run"
    if _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        return "the git repository has no commit yet, so there is no committed code to run"
    toplevel = Path(top.stdout.strip())
    inside = _inside(root, toplevel)
    listed = _git(toplevel, "ls-tree", "--name-only", "HEAD", "--", inside.as_posix())
    if inside != Path(".") and not listed.stdout.strip():
        return f"{inside} is not committed at HEAD, so there is no committed code to run"
    return None


@contextlib.contextmanager
def head_worktree(root: Path) -> Iterator[Worktree]:
    """Check out HEAD in a temporary worktree; remove it on the way out, whatever happened."""
    problem = why_no_worktree(root)
    if problem is not None:
        raise ConfigError(problem, "commit the code first, or run the tests without old code")
    top = Path(_git(root, "rev-parse", "--show-toplevel").stdout.strip())
    commit = _git(root, "rev-parse", "--short", "HEAD").stdout.strip()
    with tempfile.TemporaryDirectory(prefix="migwright-head-") as tmp:
        folder = Path(tmp) / "head"
        added = _git(top, "worktree", "add", "--detach", str(folder), "HEAD")
        if added.returncode != 0:
            raise ConfigError(
                f"git worktree add failed: {_last_line(added.stderr)}",
                "run `git worktree prune` and try again",
            )
        try:
            path = folder / _inside(root, top)
            _link_installed(root, path)
            yield Worktree(path, commit)
        finally:
            _git(top, "worktree", "remove", "--force", str(folder))
            shutil.rmtree(folder, ignore_errors=True)
            _git(top, "worktree", "prune")


def _inside(root: Path, top: Path) -> Path:
    return root.resolve().relative_to(top.resolve())


def _link_installed(source: Path, target: Path) -> None:
    """Link the working tree's installed-package folders into the same places of `target`."""
    for folder, dirs, _files in os.walk(source):
        for name in [d for d in dirs if d in LINKED]:
            found = Path(folder) / name
            link = target / found.relative_to(source)
            if link.parent.is_dir() and not link.exists():
                os.symlink(found, link)
        dirs[:] = [d for d in dirs if d not in LINKED and d != ".git"]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(["git", *args], 128, "", str(exc))


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
