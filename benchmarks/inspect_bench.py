"""How fast `migwright inspect` reads a long history, against the frameworks' own listings.

Generates a repo with N Alembic revisions and a Django project with N migrations (two apps with
cross-app dependencies), then times, as whole processes (what a person waits for):
  migwright inspect --no-schema --json   vs  alembic history
  (cold: MIGWRIGHT_CACHE_DIR=off; cached: the parse cache filled by one earlier run)
  migwright inspect --no-schema --json   vs  python manage.py showmigrations
Median of --runs runs each. migwright reads the files as text; the frameworks import every
migration module. Run by hand: `.venv/bin/python benchmarks/inspect_bench.py [--n 1000]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def make_alembic(root: Path, n: int) -> None:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///bench.db\n"
        "path_separator = os\n"
    )
    (root / "migrations" / "env.py").write_text(
        "from alembic import context\n\n"
        "def run_migrations_offline():\n    pass\n\n"
        "if context.is_offline_mode():\n    run_migrations_offline()\n"
    )
    (root / "migrations" / "script.py.mako").write_text("")
    previous = None
    for i in range(n):
        rev = f"{i:012x}"
        (root / "migrations" / "versions" / f"{rev}_step_{i}.py").write_text(
            f'"""step {i}"""\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {rev!r}\ndown_revision = {previous!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade():\n"
            f"    op.add_column('items', sa.Column('c{i}', sa.Integer(), nullable=True))\n\n\n"
            "def downgrade():\n"
            f"    op.drop_column('items', 'c{i}')\n"
        )
        previous = rev


def make_django(root: Path, n: int) -> None:
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "settings.py").write_text(
        "SECRET_KEY = 'bench'\nUSE_TZ = True\n"
        "INSTALLED_APPS = ['shop', 'billing']\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'bench.db'}}\n"
        "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
    )
    (root / "manage.py").write_text(
        "import os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    half = n // 2
    for app, count in (("shop", half), ("billing", n - half)):
        mig = root / app / "migrations"
        mig.mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
        (mig / "__init__.py").write_text("")
        fields = "".join(f"    c{i} = models.IntegerField(null=True)\n" for i in range(1, count))
        body = fields or "    pass"
        (root / app / "models.py").write_text(
            f"from django.db import models\n\n\nclass Thing(models.Model):\n{body}\n"
        )
        (root / app / "apps.py").write_text(
            f"from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = {app!r}\n"
        )
        for i in range(count):
            deps = [] if i == 0 else [(app, f"{i - 1:04d}_step")]
            if app == "billing" and i == 1:
                deps.append(("shop", "0001_step"))
            if i == 0:
                ops = (
                    "migrations.CreateModel(name='Thing', fields=[('id', "
                    "models.BigAutoField(auto_created=True, primary_key=True, serialize=False))])"
                )
            else:
                ops = (
                    f"migrations.AddField(model_name='thing', name='c{i}', "
                    "field=models.IntegerField(null=True))"
                )
            (mig / f"{i:04d}_step.py").write_text(
                "from django.db import migrations, models\n\n\n"
                "class Migration(migrations.Migration):\n"
                f"    dependencies = {deps!r}\n"
                f"    operations = [{ops}]\n"
            )


def timed(cmd: list[str], cwd: Path, runs: int, **env: str) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}
        )
        samples.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    migwright = [str(BIN / "migwright"), "inspect", "--no-schema", "--json", "."]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cold = {"MIGWRIGHT_CACHE_DIR": "off"}
        warm = {"MIGWRIGHT_CACHE_DIR": str(Path(tmp) / "cache")}
        alembic_repo = Path(tmp) / "alembic"
        make_alembic(alembic_repo, args.n)
        theirs = timed([str(BIN / "alembic"), "history"], alembic_repo, args.runs)
        ours_cold = timed(migwright, alembic_repo, args.runs, **cold)
        timed(migwright, alembic_repo, 1, **warm)  # fills the parse cache
        ours_warm = timed(migwright, alembic_repo, args.runs, **warm)
        rows.append(("alembic", ours_cold, ours_warm, "alembic history", theirs))
        django_repo = Path(tmp) / "django"
        make_django(django_repo, args.n)
        theirs = timed([sys.executable, "manage.py", "showmigrations"], django_repo, args.runs)
        ours_cold = timed(migwright, django_repo, args.runs, **cold)
        timed(migwright, django_repo, 1, **warm)
        ours_warm = timed(migwright, django_repo, args.runs, **warm)
        rows.append(("django", ours_cold, ours_warm, "manage.py showmigrations", theirs))
    print(f"{args.n} migrations, median of {args.runs} runs (whole processes)")
    print(
        f"{'repo':8} {'inspect, cold':>14} {'inspect, cached':>16} {'framework':>30} "
        f"{'speed-up cold / cached':>24}"
    )
    for name, cold_s, warm_s, label, theirs in rows:
        print(
            f"{name:8} {cold_s:13.2f}s {warm_s:15.2f}s {label + f' {theirs:.2f}s':>30} "
            f"{theirs / cold_s:11.1f}x / {theirs / warm_s:.1f}x"
        )


if __name__ == "__main__":
    main()
