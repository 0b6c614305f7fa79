"""Readers for maintenance, session, transaction and DML statements (see shape.py)."""

from __future__ import annotations

from .cursor import Cursor
from .shape_types import Reader, Shape

# ---------------------------------------------------------------------------------------------
# Maintenance, sessions, transactions, DML
# ---------------------------------------------------------------------------------------------


def _reindex(cur: Cursor, family: str) -> Shape:
    cur.advance()
    flags: set[str] = set()
    group = cur.group()
    if group and any(t.upper == "CONCURRENTLY" for t in group):
        flags.add("CONCURRENTLY")
    what = cur.word()
    cur.advance()
    if cur.accept("CONCURRENTLY"):
        flags.add("CONCURRENTLY")
    flags.add(what)
    name = cur.name()
    return Shape("reindex", name=name, table=name if what == "TABLE" else None,
                 flags=frozenset(flags))  # fmt: skip


def _vacuum(cur: Cursor, family: str) -> Shape:
    cur.advance()
    flags: set[str] = set()
    group = cur.group()
    words = {t.upper for t in group or [] if t.kind == "word"}
    while cur.word() in ("FULL", "FREEZE", "VERBOSE", "ANALYZE"):
        words.add(cur.word())
        cur.advance()
    if "FULL" in words:
        flags.add("FULL")
    tables = []
    while not cur.done:
        name = cur.name()
        if name is None:
            break
        tables.append(name)
        cur.group()
        if not cur.accept(","):
            break
    return Shape("vacuum", table=tables[0] if tables else None, tables=tuple(tables),
                 flags=frozenset(flags))  # fmt: skip


def _cluster(cur: Cursor, family: str) -> Shape:
    cur.advance()
    cur.group()
    cur.accept("VERBOSE")
    return Shape("cluster", table=cur.name())


def _set(cur: Cursor, family: str) -> Shape:
    cur.advance()
    scope = cur.accept_any("SESSION", "LOCAL", "GLOBAL", "PERSIST")
    tok = cur.peek()
    if tok is None:
        return Shape("set")
    name = tok.text.lower().lstrip("@")
    for prefix in ("session.", "local.", "global."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    cur.advance()
    while cur.at(".") and cur.peek(1) is not None:
        name += "." + cur.toks[cur.pos + 1].text.lower()
        cur.advance(2)
    cur.accept_any("=", "TO")
    value = cur.text(cur.rest()).strip("'\"")
    options = {"NAME": name, "VALUE": value, "SCOPE": scope or ""}
    return Shape("set", name=name, options=options)


def _begin(cur: Cursor, family: str) -> Shape:
    # PL/SQL-ish blocks are not transactions: BEGIN ... END inside CREATE bodies never gets here.
    return Shape("begin")


def _start(cur: Cursor, family: str) -> Shape:
    return Shape("begin") if cur.at("START", "TRANSACTION") else Shape("other")


def _commit(cur: Cursor, family: str) -> Shape:
    return Shape("commit")


def _rollback(cur: Cursor, family: str) -> Shape:
    cur.advance()
    cur.accept_any("WORK", "TRANSACTION")
    return Shape("rollback_to") if cur.at("TO") else Shape("rollback")


def _savepoint(cur: Cursor, family: str) -> Shape:
    return Shape("savepoint")


def _release(cur: Cursor, family: str) -> Shape:
    return Shape("release")


def _dml(kind: str) -> Reader:
    def read(cur: Cursor, family: str) -> Shape:
        cur.advance()
        cur.accept_any("LOW_PRIORITY", "IGNORE", "QUICK", "OR")
        cur.accept_any("REPLACE", "IGNORE", "ROLLBACK", "ABORT", "FAIL")
        cur.accept_any("INTO", "FROM")
        cur.accept("ONLY")
        return Shape(kind, table=cur.name())

    return read


def _pragma(cur: Cursor, family: str) -> Shape:
    cur.advance()
    name = (cur.name() or "").lower()
    value = ""
    if cur.accept("=") or cur.at("("):
        group = cur.group()
        value = cur.text(group) if group is not None else cur.text(cur.rest())
    return Shape("pragma", name=name, options={"NAME": name, "VALUE": value.strip().lower()})


def _lock(cur: Cursor, family: str) -> Shape:
    cur.advance()
    cur.accept_any("TABLE", "TABLES")
    tables = []
    while not cur.done:
        name = cur.name()
        if name is None:
            break
        tables.append(name)
        cur.take_until(set())
        if not cur.accept(","):
            break
    return Shape("lock_table", table=tables[0] if tables else None, tables=tuple(tables))


def _simple(kind: str) -> Reader:
    def read(cur: Cursor, family: str) -> Shape:
        return Shape(kind)

    return read


def _end(cur: Cursor, family: str) -> Shape:
    return Shape("commit")


def _with(cur: Cursor, family: str) -> Shape:
    """WITH ... UPDATE/DELETE/INSERT/SELECT: the kind of the main statement after the CTEs."""
    depth_words = [t.upper for t in cur.toks if t.kind == "word"]
    for word in reversed(depth_words):
        if word in ("UPDATE", "DELETE", "INSERT"):
            return Shape(word.lower())
    return Shape("select")


#: Statement readers by first word, merged into shape.py's table.
MISC_READERS: dict[str, Reader] = {
    "REINDEX": _reindex,
    "VACUUM": _vacuum,
    "CLUSTER": _cluster,
    "SET": _set,
    "BEGIN": _begin,
    "START": _start,
    "COMMIT": _commit,
    "END": _end,
    "ROLLBACK": _rollback,
    "ABORT": _rollback,
    "SAVEPOINT": _savepoint,
    "RELEASE": _release,
    "UPDATE": _dml("update"),
    "DELETE": _dml("delete"),
    "INSERT": _dml("insert"),
    "REPLACE": _dml("insert"),
    "MERGE": _dml("merge"),
    "COPY": _dml("copy"),
    "SELECT": _simple("select"),
    "WITH": _with,
    "VALUES": _simple("select"),
    "PRAGMA": _pragma,
    "LOCK": _lock,
    "DO": _simple("do"),
    "CALL": _simple("call"),
    "EXECUTE": _simple("call"),
    "COMMENT": _simple("comment"),
    "GRANT": _simple("grant"),
    "REVOKE": _simple("grant"),
    "ANALYZE": _simple("analyze"),
    "ANALYSE": _simple("analyze"),
    "OPTIMIZE": _simple("optimize"),
    "SHOW": _simple("select"),
    "EXPLAIN": _simple("select"),
    "USE": _simple("session"),
    "RESET": _simple("session"),
    "DELIMITER": _simple("session"),
    "UNLOCK": _simple("session"),
    "NOTIFY": _simple("session"),
    "LISTEN": _simple("session"),
    "DISCARD": _simple("session"),
    "REFRESH": _simple("refresh"),
    "IMPORT": _simple("other"),
    "SECURITY": _simple("other"),
    "DECLARE": _simple("other"),
    "FLUSH": _simple("session"),
}
