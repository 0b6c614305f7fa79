"""Files land atomically and never over an existing migration; a refusal writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from migwright.tools.errors import ConfigError
from migwright.tools.frameworks.render import File
from migwright.tools.writer import write_files


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_writes_new_files_and_updates_existing_ones(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text("old\n")
    written = write_files(
        tmp_path,
        [
            File("migrations/0002_x.py", "up\n"),
            File("models.py", "new\n", kind="model", existing=True),
        ],
    )
    assert [p.name for p in written] == ["0002_x.py", "models.py"]
    assert (tmp_path / "migrations/0002_x.py").read_text() == "up\n"
    assert (tmp_path / "models.py").read_text() == "new\n"
    assert not list(tmp_path.rglob(".migwright-*"))
    mode = (tmp_path / "migrations/0002_x.py").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044, oct(mode)  # readable by others, as a new file normally is


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([File("a.sql", "x"), File("existing.sql", "y")], "never overwrites"),
        ([File("a.sql", "x"), File("../escape.sql", "y")], "outside the repository"),
        (
            [File("a.sql", "x"), File("missing.py", "y", kind="model", existing=True)],
            "should exist",
        ),
        ([File("a.sql", "x"), File("a.sql", "y")], "rendered twice"),
    ],
)
def test_refusals_change_nothing(tmp_path: Path, files: list[File], message: str) -> None:
    (tmp_path / "existing.sql").write_text("mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as info:
        write_files(tmp_path, files)
    assert message in str(info.value)
    assert snapshot(tmp_path) == before
