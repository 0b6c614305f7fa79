#!/bin/sh
# Apply the numbered SQL files in migrations/ that have not run yet.
# Usage: scripts/migrate.sh [path/to/tracker.db]
set -eu
DB="${1:-${TRACKER_DB:-tracker.db}}"
cd "$(dirname "$0")/.."

sqlite3 "$DB" "CREATE TABLE IF NOT EXISTS applied_migrations (
    filename TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (datetime('now'))
);"

for f in migrations/[0-9]*.sql; do
    name=$(basename "$f")
    done_already=$(sqlite3 "$DB" "SELECT count(*) FROM applied_migrations WHERE filename = '$name';")
    if [ "$done_already" = "0" ]; then
        echo "applying $name"
        { echo "BEGIN;"; cat "$f"; echo "INSERT INTO applied_migrations (filename) VALUES ('$name');"; echo "COMMIT;"; } | sqlite3 -bail "$DB"
    fi
done
