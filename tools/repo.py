"""RepoFacts: what a repository holds, read once and shared by every framework adapter.

Detection runs a dozen adapters over the same tree; listing the files once (git's own list
where the folder is a checkout, a walk otherwise) keeps that cheap and keeps vendored folders
such as node_modules out of every adapter's way.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from .errors import DetectionError

#: Folders no adapter should ever look into.
IGNORED_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        "dist",
        "build",
        "vendor",
        "site-packages",
        ".next",
    }
)

_SECRET_URL = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]+)@"
)
_SECRET_KEY = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\b(\s*[:=]\s*)(['\"]?)([^'\"\s,;]+)"
)


#: `.env` / settings assignments whose name ends in a secret word: `STRIPE_SECRET_KEY=...`,
#: `OPENAI_API_KEY: ...`, `'PASSWORD': '...'`: prefixed names and quoted keys count too.
#: Names must end in the word, so SQL such as `token_count = 0` keeps its meaning.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b([A-Za-z0-9_.\-]*(?:SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD|SALT|API_?KEY|ACCESS_?KEY|"
    r"SECRET_?KEY|PRIVATE_?KEY|CREDENTIALS?|SECRET_KEY_BASE|DSN))\b"
    r"(['\"]?\s*(?:=(?!=)|:)\s*)(['\"]?)([^'\"\s,;]+)"
)

#: Well-known key shapes, wherever they appear (a key pasted into a comment or a README).
_KEY_SHAPES = re.compile(
    r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"
    r"|sk_(?:live|test)_[A-Za-z0-9]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{30,})"
)

_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._\-+/=]{8,}")


def redact(text: str) -> str:
    """Hide passwords in URLs, secret-looking assignments and well-known API key shapes.

    Every output that can show configuration passes through here, so a database URL read from
    a settings file never reaches a terminal, a JSON report or a prompt with its password.
    """
    text = _SECRET_URL.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _SECRET_KEY.sub(lambda m: f"{m[1]}{m[2]}{m[3]}***", text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m[1]}{m[2]}{m[3]}***", text)
    text = _KEY_SHAPES.sub("***", text)
    return _BEARER.sub(lambda m: f"{m[1]}***", text)


@dataclass(frozen=True)
class RepoFacts:
    """A repository root and the relative POSIX paths of its files.

    Paths are relative to `root` and use forward slashes, so adapters and their tests are the
    same on every platform. `files` excludes IGNORED_DIRS.
    """

    root: Path
    files: tuple[str, ...] = field(default=())

    @classmethod
    def load(cls, root: str | Path) -> RepoFacts:
        path = Path(root).resolve()
        if not path.exists():
            raise DetectionError(
                f"{root}: no such directory", "give the path of the repository to analyse"
            )
        if not path.is_dir():
            raise DetectionError(f"{root}: not a directory", "give a repository folder, not a file")
        return cls(root=path, files=tuple(sorted(_list_files(path))))

    def path(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, rel: str) -> bool:
        return (self.root / rel).exists()

    def read(self, rel: str) -> str:
        """A file's text; undecodable bytes are replaced rather than failing detection."""
        return (self.root / rel).read_text(encoding="utf-8", errors="replace")

    def glob(self, pattern: str) -> list[str]:
        """Files whose relative path matches a glob such as `**/alembic.ini`."""
        parts = [p for p in pattern.split("/") if p != "**"]
        return [f for f in self.files if _match_right(f, parts)]

    def named(self, *names: str) -> list[str]:
        """Files whose base name is one of `names`, anywhere in the tree."""
        wanted = set(names)
        return [f for f in self.files if f.rpartition("/")[2] in wanted]

    def under(self, folder: str) -> list[str]:
        """Files below a folder (relative path, no trailing slash)."""
        prefix = folder.rstrip("/") + "/" if folder not in ("", ".") else ""
        return [f for f in self.files if f.startswith(prefix)]

    @cached_property
    def package_json(self) -> dict[str, object]:
        """The root package.json, or {} when there is none or it does not parse."""
        if "package.json" not in self.files:
            return {}
        try:
            data = json.loads(self.read("package.json"))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def npm_dependencies(self, package_json: str = "package.json") -> set[str]:
        """Names in dependencies and devDependencies of a package.json (root by default)."""
        if package_json == "package.json":
            data = self.package_json
        else:
            try:
                data = json.loads(self.read(package_json))
            except (OSError, ValueError):
                return set()
        names: set[str] = set()
        for key in ("dependencies", "devDependencies"):
            section = data.get(key) if isinstance(data, dict) else None
            if isinstance(section, dict):
                names.update(section)
        return names

    def python_requirements(self) -> str:
        """Concatenated text of the Python dependency manifests, for a quick name lookup."""
        manifests = [
            f
            for f in self.files
            if PurePosixPath(f).name in {"pyproject.toml", "setup.cfg", "setup.py", "Pipfile"}
            or re.fullmatch(r"(.*/)?requirements[^/]*\.(txt|in)", f)
        ]
        return "\n".join(self.read(f) for f in manifests).lower()


def _match_right(path: str, parts: list[str]) -> bool:
    """PurePosixPath.match semantics (match from the right), without building Path objects:
    detection globs the whole file list several times, so this is a hot loop."""
    names = path.split("/")
    if len(names) < len(parts):
        return False
    tail = names[len(names) - len(parts) :]
    return all(fnmatch.fnmatchcase(name, part) for name, part in zip(tail, parts, strict=True))


def _list_files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.endswith(".egg-info")]
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            out.append(rel.replace(os.sep, "/"))
    return out
