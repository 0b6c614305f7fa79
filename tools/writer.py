"""Writing rendered files into a repository: atomic, and never over an existing migration.

Files are written only after validation passed (the caller decides), each through a temporary
file in the same folder and `os.replace`, so a crash never leaves half a migration. New files
(`existing=False`) refuse to replace anything already there; files marked `existing=True`
(models, journals) must exist and are replaced whole. Everything is checked before anything is
written, so a refusal changes nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError
from .frameworks.render import File


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def check_files(root: Path, files: Sequence[File]) -> None:
    """Raise before writing anything if any file would overwrite or escape the repo."""
    base = root.resolve()
    seen: set[str] = set()
    for f in files:
        target = (base / f.path).resolve()
        if not target.is_relative_to(base):
            raise ConfigError(f"{f.path}: outside the repository", "render paths inside the repo")
        if f.path in seen:
            raise ConfigError(f"{f.path}: rendered twice", "this is a renderer bug: report it")
        seen.add(f.path)
        if not f.existing and target.exists():
            raise ConfigError(
                f"{f.path} already exists; migwright never overwrites a migration",
                "use another --description, or remove the file if it is yours",
            )
        if f.existing and not target.is_file():
            raise ConfigError(f"{f.path} should exist to be updated", "check the repository")


def write_files(root: Path, files: Sequence[File]) -> list[Path]:
    """Write `files` under `root` atomically; returns the written paths."""
    check_files(root, files)
    written: list[Path] = []
    for f in files:
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".migwright-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(f.content)
            if not f.existing and target.exists():  # raced since the check
                raise ConfigError(f"{f.path} appeared while writing", "run again")
            if f.existing:
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            else:  # mkstemp makes 0600; a migration gets the mode any new file would get
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
