"""Flyway generation, proven with migwright's re-implementation of Flyway (flyway_runner).

Flyway needs Java and a download, so `flyway_runner` re-implements `migrate` and `undo`; these
tests hold it to Flyway's behaviour: the schema history rows, the CRC-32 checksum (checked
against Java's own CRC32 when a JDK is on the machine), validation of changed scripts, the
transaction rules of script configuration files, and failed migrations.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import dialect_params, require_server
from sqlalchemy import text
from sqlfw_roundtrip import check_golden, copy_repo, matrix, mini_repo, render_files, roundtrip

from migwright.tools.analysis import analyse
from migwright.tools.errors import ValidationFailed
from migwright.tools.frameworks import flyway_render, flyway_runner
from migwright.tools.scratch import create_scratch


@pytest.mark.parametrize(("request_text", "dialect"), matrix("flyway"))
def test_roundtrip(tmp_path: Path, request_text: str, dialect: str) -> None:
    repo = mini_repo("flyway", dialect, tmp_path)
    run = roundtrip(repo, dialect, request_text, flyway_render, flyway_runner)
    assert run.file().path.startswith("sql/V2__")
    if not run.plan.reverse.irreversible:
        assert run.file("down").path.startswith("sql/U2__")
    assert all("Flyway semantics" in note for note in run.notes)


# ---------------------------------------------------------------------------------------------
# flyway-billing (PostgreSQL)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_billing_concurrent_index(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("flyway-billing", tmp_path)
    request = (
        '--add-column "payments.refunded_at timestamptz" '
        '--add-index "payments (refunded_at) where refunded_at is not null concurrently"'
    )
    run = roundtrip(repo, dialect, request, flyway_render, flyway_runner)
    names = [Path(f.path).name for f in run.files]
    stem = "1.12__Add_refunded_at_to_payments_and_add_index_on_payments_refunded_at.sql"
    assert names == [f"V{stem}", f"V{stem}.conf", f"U{stem}", f"U{stem}.conf"]
    assert "executeInTransaction=false" in run.files[1].content


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_billing_history_rows(tmp_path: Path, dialect: str) -> None:
    """The rows Flyway itself writes: ranks, versions, descriptions, checksums, undo rows."""
    repo = copy_repo("flyway-billing", tmp_path)
    run = roundtrip(repo, dialect, '--drop-column "customers.tax_id"', flyway_render, flyway_runner)
    assert "Not brought back by this down: the values of" in run.file("down").content
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        flyway_runner.apply(analysis.repo, analysis.config, db)
        flyway_runner.rollback(analysis.repo, analysis.config, db)
        with db.engine().connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT installed_rank, version, description, type, script, checksum, "
                    "installed_by, success FROM flyway_schema_history ORDER BY installed_rank"
                )
            ).all()
    versions = [r.version for r in rows]
    assert versions == [*(f"1.{n}" for n in range(1, 13)), None, "1.12"]
    first, view, undo = rows[0], rows[12], rows[13]
    text_v1 = (repo / "sql/V1.1__Create_customers.sql").read_text()
    assert (first.description, first.type, first.script) == (
        "Create customers",
        "SQL",
        "V1.1__Create_customers.sql",
    )
    assert first.checksum == flyway_runner.checksum(text_v1)
    assert first.installed_by == "postgres" and first.success
    assert (view.type, view.description) == ("SQL", "Invoice totals view")
    assert (undo.type, undo.script) == ("UNDO_SQL", "U1.12__Drop_tax_id_from_customers.sql")


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_billing_irreversible(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("flyway-billing", tmp_path)
    request = '--create-enum "payment_kind (card)" --add-enum-value "payment_kind.transfer"'
    run = roundtrip(repo, dialect, request, flyway_render, flyway_runner)
    assert [f.kind for f in run.files] == ["migration", "migration"]  # V and its .conf
    assert "-- No undo migration (U1.12__" in run.file().content
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        flyway_runner.apply(analysis.repo, analysis.config, db)
        with pytest.raises(ValidationFailed, match=r"Unable to undo migration to version 1\.12"):
            flyway_runner.rollback(analysis.repo, analysis.config, db)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_changed_script_fails_validation(tmp_path: Path, dialect: str) -> None:
    repo = copy_repo("flyway-billing", tmp_path)
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        flyway_runner.replay(analysis, db)
        path = repo / "sql/V1.2__Create_plans.sql"
        path.write_text(path.read_text() + "-- edited after it ran\n")
        analysis = analyse(repo)
        with pytest.raises(ValidationFailed, match=r"checksum mismatch for migration version 1\.2"):
            flyway_runner.apply(analysis.repo, analysis.config, db)


@pytest.mark.parametrize("dialect", dialect_params("postgresql"))
def test_mixed_statements_refused(tmp_path: Path, dialect: str) -> None:
    """Without the .conf, Flyway refuses a migration mixing both kinds of statements."""
    repo = copy_repo("flyway-billing", tmp_path)
    (repo / "sql/V1.12__Mixed.sql").write_text(
        "ALTER TABLE payments ADD COLUMN note text;\n"
        "CREATE INDEX CONCURRENTLY ix_payments_note ON payments (note);\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db, pytest.raises(ValidationFailed) as err:
        flyway_runner.apply(analysis.repo, analysis.config, db)
    assert "Detected both transactional and non-transactional statements" in str(err.value)
    assert "executeInTransaction=false" in err.value.hint


@pytest.mark.parametrize("dialect", dialect_params("postgresql", "mysql"))
def test_failed_migration(tmp_path: Path, dialect: str) -> None:
    """PostgreSQL rolls a failed migration back and records nothing; MySQL cannot roll DDL
    back, so Flyway records the failure and refuses to go on until it is repaired."""
    repo = mini_repo("flyway", dialect, tmp_path)
    (repo / "sql/V2__Broken.sql").write_text(
        "CREATE TABLE half (id integer);\nCREATE TABLE nope (;\n"
    )
    require_server(dialect)
    analysis = analyse(repo)
    with create_scratch(dialect) as db:
        with pytest.raises(ValidationFailed, match="Flyway migration failed") as err:
            flyway_runner.apply(analysis.repo, analysis.config, db)
        with db.engine().connect() as conn:
            rows = conn.execute(
                text("SELECT version, success FROM flyway_schema_history ORDER BY installed_rank")
            ).all()
        if dialect == "postgresql":
            assert "changes rolled back" in str(err.value)
            assert [(r[0], bool(r[1])) for r in rows] == [("1", True)]
        else:
            assert [(r[0], bool(r[1])) for r in rows] == [("1", True), ("2", False)]
            with pytest.raises(ValidationFailed, match="Detected failed migration to version 2"):
                flyway_runner.apply(analysis.repo, analysis.config, db)


# ---------------------------------------------------------------------------------------------
# Checksums: Flyway's CRC-32 of the lines
# ---------------------------------------------------------------------------------------------

_CHECKSUM_SAMPLES = [
    ("bom_crlf_cr_unicode", "\ufeffCREATE TABLE x (a int);\r\n\r\n-- café\rSELECT 1;\n"),
    ("trailing_blank_lines", "x\n\n"),
    ("no_newline_at_end", "SELECT 1;"),
]


def test_checksum_values() -> None:
    """Values Java's CRC32 gives with Flyway's algorithm (line ends and a BOM do not count)."""
    assert flyway_runner.checksum(_CHECKSUM_SAMPLES[0][1]) == 974440337
    assert flyway_runner.checksum("x\n\n") == flyway_runner.checksum("x") == -1931733373
    assert flyway_runner.checksum("a\r\nb") == flyway_runner.checksum("a\nb")


_JAVA = """
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
public class Checksum {
  public static void main(String[] args) throws Exception {
    for (String f : args) {
      CRC32 crc = new CRC32();
      BufferedReader r = new BufferedReader(
          new InputStreamReader(new FileInputStream(f), StandardCharsets.UTF_8), 4096);
      String line = r.readLine();
      if (line != null) {
        if (line.startsWith("\\uFEFF")) line = line.substring(1);
        do { crc.update(line.getBytes(StandardCharsets.UTF_8)); } while ((line = r.readLine()) != null);
      }
      System.out.println((int) crc.getValue());
    }
  }
}
"""


@pytest.mark.skipif(shutil.which("java") is None, reason="no JDK: Java's CRC32 cross-check skipped")
def test_checksum_matches_java(tmp_path: Path) -> None:
    """Flyway's ChecksumCalculator, in Java, over the same files."""
    (tmp_path / "Checksum.java").write_text(_JAVA)
    files = []
    for name, content in _CHECKSUM_SAMPLES:
        (tmp_path / f"{name}.sql").write_bytes(content.encode("utf-8"))
        files.append(tmp_path / f"{name}.sql")
    billing = sorted((Path(__file__).parents[2] / "evals/repos/flyway-billing/sql").glob("*.sql"))
    files += billing
    proc = subprocess.run(
        ["java", str(tmp_path / "Checksum.java"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ours = [flyway_runner.checksum(f.read_bytes().decode("utf-8")) for f in files]
    assert [int(v) for v in proc.stdout.split()] == ours


# ---------------------------------------------------------------------------------------------
# Golden files
# ---------------------------------------------------------------------------------------------

GOLDEN_CASES = [
    ("add_column_pg", "postgresql", '--add-column "books.subtitle varchar(200)"'),
    ("concurrent_index_pg", "postgresql", '--add-index "books (isbn, title) concurrently"'),
    ("irreversible_pg", "postgresql", '--create-enum "mood (happy)" --add-enum-value "mood.sad"'),
    ("drop_column_mysql", "mysql", '--drop-column "authors.bio"'),
    ("alter_type_sqlite", "sqlite", '--alter-table "tags alter column label type varchar(80)"'),
]


@pytest.mark.parametrize(("case", "dialect", "request_text"), GOLDEN_CASES)
def test_golden(tmp_path: Path, case: str, dialect: str, request_text: str) -> None:
    repo = mini_repo("flyway", dialect, tmp_path)
    check_golden("flyway", case, render_files(repo, dialect, request_text, flyway_render))
