"""Files in the chat: what a plan would write, shown; what a write did, remembered for /undo.

A plan's files are shown before anything is written: a new file in full, a file that exists
(a model, a journal) as a unified diff against what is on disk now. A write is remembered with
the content it wrote and the content it replaced, so /undo removes exactly the files the write
created, restores the files it changed, and leaves alone any file edited since (its content no
longer matches what migwright wrote). Only writes of this session are known: nothing else can
be undone from here.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..tools.frameworks.render import File
from ..tools.spec import Request


def show_file(console: Console, root: Path, f: File) -> None:
    """A new file in full; an existing one as a unified diff against what is on disk."""
    target = root / f.path
    if not f.existing or not target.is_file():
        console.rule(f"{f.path} (new {f.kind})")
        console.print(f.content.rstrip(), markup=False, highlight=False)
        return
    console.rule(f"{f.path} (changed {f.kind})")
    diff = difflib.unified_diff(
        target.read_text("utf-8").splitlines(keepends=True),
        f.content.splitlines(keepends=True),
        f"a/{f.path}",
        f"b/{f.path}",
    )
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for row in diff:
        style = "bold" if row.startswith(("+++", "---")) else styles.get(row[:1], "")
        console.print(Text(row.rstrip("\n"), style=style))


@dataclass
class Written:
    """What one write did: files created (with their content), files changed (with the
    content before and after), folders it had to create (deepest first)."""

    request: Request
    root: Path
    created: list[tuple[Path, str]] = field(default_factory=list)
    updated: list[tuple[Path, str, str]] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        inside = path.is_relative_to(self.root)
        return path.relative_to(self.root).as_posix() if inside else str(path)


@dataclass(frozen=True)
class Snapshot:
    """The repository as a write is about to change it: taken before, completed after."""

    root: Path
    previous: dict[str, str]
    missing: tuple[Path, ...]

    @classmethod
    def take(cls, root: Path, files: Sequence[File]) -> Snapshot:
        previous = {f.path: (root / f.path).read_text("utf-8") for f in files if f.existing}
        missing: set[Path] = set()
        for f in files:
            folder = (root / f.path).parent
            while folder != root and root in folder.parents and not folder.exists():
                missing.add(folder)
                folder = folder.parent
        deepest_first = sorted(missing, key=lambda p: len(p.parts), reverse=True)
        return cls(root, previous, tuple(deepest_first))

    def record(self, request: Request, written: Sequence[Path]) -> Written:
        """What the write did, from the paths it reports."""
        record = Written(request, self.root, folders=[p for p in self.missing if p.is_dir()])
        for path in written:
            rel = path.relative_to(self.root).as_posix()
            content = path.read_text("utf-8")
            if rel in self.previous:
                record.updated.append((path, self.previous[rel], content))
            else:
                record.created.append((path, content))
        return record


def undo(record: Written) -> list[tuple[str, str]]:
    """Take one write back; (line, style) for each file, for the chat to print."""
    lines: list[tuple[str, str]] = []
    changed = "it changed since migwright wrote it"
    for path, content in record.created:
        if not path.exists():
            lines.append((f"  already gone: {record.rel(path)}", "dim"))
        elif path.read_text("utf-8") != content:
            lines.append((f"  kept {record.rel(path)}: {changed}", "yellow"))
        else:
            path.unlink()
            lines.append((f"  removed {record.rel(path)}", ""))
    for path, before, written in record.updated:
        if not path.exists() or path.read_text("utf-8") != written:
            lines.append((f"  kept {record.rel(path)}: {changed}", "yellow"))
            continue
        _replace_text(path, before)
        lines.append((f"  restored {record.rel(path)}", ""))
    for folder in record.folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return lines


def _replace_text(path: Path, text: str) -> None:
    """Write `text` through a temporary file and a rename, keeping the file's mode."""
    tmp = path.with_name(f".migwright-undo-{path.name}")
    tmp.write_text(text, "utf-8")
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)
