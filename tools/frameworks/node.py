"""Finding Node.js and the npm packages a JS framework's runner needs, and running it.

A Knex or Sequelize history is only proven by the framework's own CLI, which lives in npm
packages. migwright runs in the user's environment, so the repo's own `node_modules` comes
first; a repo checked out without `npm install` (CI, an evaluation copy) falls back to the
runners migwright's test harness installs (`tests/js/node_modules`, from `npm ci`), and
`MIGWRIGHT_NODE_MODULES` points anywhere else. Database drivers (pg, mysql2, better-sqlite3)
are looked up the same way; the folders that hold them go on `NODE_PATH`, so a CLI from the
repo finds a driver the repo does not depend on (a SQLite project validated on PostgreSQL).

Runners run in a subprocess with a timeout and an environment carrying only what they need;
a failure becomes the caller's error type with the runner's last lines of output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, MigwrightError
from ..repo import RepoFacts, redact

#: Where `npm ci` in tests/js installs the runners (two levels above tools/frameworks/).
HARNESS = Path(__file__).resolve().parents[2] / "tests" / "js" / "node_modules"
ENV_VAR = "MIGWRIGHT_NODE_MODULES"
#: Database driver package per dialect, as the JS frameworks name their clients.
DRIVERS = {"postgresql": "pg", "mysql": "mysql2", "sqlite": "better-sqlite3"}
#: Seconds one runner invocation may take before it is stopped.
TIMEOUT = 180.0


def candidates(repo: RepoFacts | None = None, root: str = ".") -> list[Path]:
    """`node_modules` folders to search, most preferred first.

    MIGWRIGHT_NODE_MODULES, then the repo's (from the framework's folder up to the repo root,
    as Node itself resolves), then the test harness's.
    """
    found: list[Path] = []
    env = os.environ.get(ENV_VAR)
    if env:
        found += [Path(p) for p in env.split(os.pathsep) if p]
    if repo is not None:
        folder = (repo.root / root).resolve() if root not in ("", ".") else repo.root
        while True:
            found.append(folder / "node_modules")
            if folder == repo.root or folder.parent == folder:
                break
            folder = folder.parent
    found.append(HARNESS)
    unique: list[Path] = []
    for path in found:
        if path not in unique and path.is_dir():
            unique.append(path)
    return unique


def package_dir(package: str, repo: RepoFacts | None = None, root: str = ".") -> Path:
    """The folder of an installed npm package; ConfigError naming how to install it."""
    for modules in candidates(repo, root):
        folder = modules / package
        if (folder / "package.json").is_file():
            return folder
    raise ConfigError(
        f"the npm package {package} is not installed (looked in the repo's node_modules, "
        f"{ENV_VAR} and {HARNESS})",
        f"run `npm install` in the repository, or `npm ci` in {HARNESS.parent}",
    )


def bin_script(package: str, command: str, repo: RepoFacts | None = None, root: str = ".") -> Path:
    """The JS file behind a package's command (`knex` -> knex/bin/cli.js), from its `bin`."""
    folder = package_dir(package, repo, root)
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    bins = manifest.get("bin")
    target = bins if isinstance(bins, str) else (bins or {}).get(command)
    if not isinstance(target, str):
        raise ConfigError(
            f"{folder}/package.json: {package} has no command {command!r}",
            f"reinstall {package}; its package.json should list {command!r} under bin",
        )
    return folder / target


def node() -> str:
    """The `node` executable."""
    found = shutil.which("node")
    if found is None:
        raise ConfigError(
            "node is not installed (no `node` on PATH)",
            "install Node.js 20 or later; the JS migration runners need it",
        )
    return found


def node_path(packages: Sequence[str], repo: RepoFacts | None = None, root: str = ".") -> str:
    """NODE_PATH holding every folder one of `packages` lives in (drivers, the framework)."""
    folders: list[str] = []
    for package in packages:
        modules = str(package_dir(package, repo, root).parent)
        if package.startswith("@"):
            modules = str(Path(modules).parent)
        if modules not in folders:
            folders.append(modules)
    return os.pathsep.join(folders)


def link_modules(
    workdir: Path, packages: Sequence[str], repo: RepoFacts | None = None, root: str = "."
) -> None:
    """Give `workdir` a `node_modules` where every package of `packages` resolves.

    Some CLIs resolve their libraries from the working directory (sequelize-cli looks for
    `sequelize` under cwd) rather than through NODE_PATH, so the temp folder they run in gets
    a node_modules of symlinks to the packages found by `package_dir`.
    """
    modules = workdir / "node_modules"
    modules.mkdir(exist_ok=True)
    for package in packages:
        target = package_dir(package, repo, root)
        link = modules / package
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)


@dataclass(frozen=True)
class NodeResult:
    """What one runner invocation printed."""

    command: str
    stdout: str
    stderr: str

    def tail(self, lines: int = 12) -> str:
        text = (self.stderr.strip() + "\n" + self.stdout.strip()).strip()
        return redact("\n".join(text.splitlines()[-lines:]))


def run_node(
    script: Path,
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    error: type[MigwrightError],
    what: str,
    hint: str,
    timeout: float = TIMEOUT,
) -> NodeResult:
    """Run `node script args...`; a non-zero exit or a timeout raises `error` with its output.

    The environment is the caller's `env` over a minimal base (PATH, HOME, locale): nothing
    from migwright's own environment (a DATABASE_URL pointing at production, say) leaks in.
    """
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
    full_env = {**base, "NODE_ENV": "migwright", "FORCE_COLOR": "0", "NO_COLOR": "1", **env}
    command = [node(), str(script), *args]
    shown = " ".join([Path(script).name, *args])
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        raise error(
            f"{what}: `{shown}` did not finish within {timeout:.0f}s; last output: "
            f"{redact(out.strip()[-400:]) or '(none)'}",
            hint,
        ) from exc
    result = NodeResult(shown, proc.stdout, proc.stderr)
    if proc.returncode != 0:
        raise error(f"{what}: `{shown}` failed (exit {proc.returncode}):\n{result.tail()}", hint)
    return result
