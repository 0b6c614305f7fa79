"""What reading a migration file found, kept between runs under the file's content hash.

A long history is read on every `inspect` and `new`; almost all of it never changes. Parsing a
thousand revisions with `ast` costs about a tenth of a second, the same lookup in this cache a
hundredth, so a second run starts where the first left off (mypy's and ruff's caches do the
same). The key is the file's bytes (BLAKE2b), never its mtime, so a checkout, a rebase or an
edit within the same second cannot serve a stale result; a reader's other inputs (Django's
swappable settings) are part of the key too, and migwright's version is part of the file name.

The cache lives in `$MIGWRIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/migwright`, else
`~/.cache/migwright`; never inside the repository. `MIGWRIGHT_CACHE_DIR=off` turns it off. A
cache that cannot be read or written is ignored: it can make a run faster, never fail one.
Errors are not cached (a file that does not parse is read again, and reported again).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from ... import __version__
from ..repo import RepoFacts

T = TypeVar("T")

#: Bumped whenever a cached reader's result type changes shape.
FORMAT = 1


def cache_dir() -> Path | None:
    """Where cache files go, or None when caching is off."""
    configured = os.environ.get("MIGWRIGHT_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in {"", "off", "0", "no"} else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "migwright"


class ParseCache:
    """One reader's results for one repository; `save()` writes them back when they changed."""

    def __init__(self, repo: RepoFacts, reader: str) -> None:
        self.repo = repo
        self.entries: dict[tuple[str, Hashable], tuple[bytes, Any]] = {}
        self.changed = False
        folder = cache_dir()
        root = hashlib.blake2b(str(repo.root).encode(), digest_size=8).hexdigest()
        self.file = (
            None if folder is None else folder / f"{reader}-{root}-{__version__}-{FORMAT}.pickle"
        )
        if self.file is not None:
            try:
                with self.file.open("rb") as fh:
                    loaded = pickle.load(fh)  # our own file in the user's cache folder
                if isinstance(loaded, dict):
                    self.entries = loaded
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                self.entries = {}

    def get(self, rel: str, extra: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`'s result for the file `rel` as it is now, from the cache when it can be."""
        if self.file is None:
            return compute()
        try:
            digest = hashlib.blake2b(self.repo.path(rel).read_bytes(), digest_size=16).digest()
        except OSError:
            return compute()  # let the reader report the unreadable file its own way
        key = (rel, extra)
        hit = self.entries.get(key)
        if hit is not None and hit[0] == digest:
            result: T = hit[1]
            return result
        result = compute()
        self.entries[key] = (digest, result)
        self.changed = True
        return result

    def save(self) -> None:
        """Write the entries back atomically; files that left the history are dropped."""
        if self.file is None or not self.changed:
            return
        present = set(self.repo.files)
        entries = {k: v for k, v in self.entries.items() if k[0] in present}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(entries, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
        except OSError:
            return
        self.changed = False


_OPEN: dict[tuple[Path, str, str | None, str | None], ParseCache] = {}


def for_repo(repo: RepoFacts, reader: str) -> ParseCache:
    """The cache of `reader` for this repository, shared within the process (Django reads every
    migration once for the configuration and once for the history)."""
    env = os.environ
    key = (repo.root, reader, env.get("MIGWRIGHT_CACHE_DIR"), env.get("XDG_CACHE_HOME"))
    cache = _OPEN.get(key)
    if cache is None:
        cache = _OPEN[key] = ParseCache(repo, reader)
    cache.repo = repo  # the newest listing decides which entries are kept on save
    return cache
