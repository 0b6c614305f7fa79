"""Tiny issue tracker: the web handlers share this connection helper."""

import os
import sqlite3


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(os.environ.get("TRACKER_DB", "tracker.db"))
    conn.execute("PRAGMA foreign_keys = ON")
    conn.row_factory = sqlite3.Row
    return conn


def open_tasks(project_id: int) -> list[sqlite3.Row]:
    with connect() as conn:
        return conn.execute(
            "SELECT id, title, priority FROM tasks WHERE project_id = ? AND done_at IS NULL",
            (project_id,),
        ).fetchall()
