"""The request grammar as help text: its own module so that the CLI can show it without
importing the parser (and sqlglot) on every start-up."""

GRAMMAR = """\
migwright request grammar

A request is a list of verbs, each with one argument in quotes; they apply in order.
Names follow the dialect: "Quoted" (PostgreSQL, SQLite) or `quoted` (MySQL) keep their
case; PostgreSQL folds unquoted names to lower case. Types and expressions are SQL,
kept as written.

Tables
  --create-table "users (id bigint generated always as identity primary key,
                         email text not null unique,
                         org_id bigint references orgs(id) on delete cascade,
                         check (length(email) > 3))"
      column constraints: not null | null | default <expr> | primary key | unique
        | references t[(c)] [on delete <action>] [on update <action>] | check (<expr>)
        | generated {always | by default} as identity | auto_increment | autoincrement
        | comment 'text'; each may start with constraint <name>
      table constraints: [constraint <name>] primary key (..) | unique (..)
        | foreign key (..) references t(..) [actions] | check (..); MySQL key/index <name> (..)
      serial/bigserial types are identity columns; CREATE TABLE in front is optional
  --drop-table "legacy_events"
  --rename-table "orders to purchases"          (also: orders -> purchases)

Columns
  --add-column "orders.shipped_at timestamptz [not null default now()] [references ...]"
  --drop-column "orders.note"
  --rename-column "orders.total to amount"      (also: orders.total -> amount)
  --alter-table "orders alter column total type numeric(12,2) [using total::numeric(12,2)]"
      actions, comma-separated as in SQL:
        alter column c type T [using e] | set not null | drop not null | set default e
          | drop default
        add [column] <column definition> | drop [column] c | rename [column] a to b
        rename to <new table name> | modify c <definition> | change a b <definition>
        add [constraint n] check (..) | unique (..) | foreign key (..) references t(..)
        add [unique] index [n] (..) | drop constraint n | drop foreign key n | drop index n

Indexes and constraints
  --add-index "orders (user_id, created_at) [unique] [where status = 'open'] [name ix_x]
               [using gin] [concurrently]"
      also: "orders.user_id", or SQL: "create unique index ix_x on orders (user_id)"
      columns may be expressions: "users (lower(email)) unique"
  --drop-index "orders.ix_x [concurrently]"
  --add-fk "orders.user_id -> users.id [on delete cascade] [on update ...] [name fk_x]"
      composite: "orders.(a, b) -> users.(x, y)"; without .column: the primary key
  --add-check "orders total >= 0 [name ck_x]"   (also: orders (total >= 0))
  --add-unique "users (email) [name uq_x]"      (also: users.email)
  --drop-constraint "orders.ck_x"
  actions: cascade | set null | set default | restrict | no action
  unnamed constraints get names like fk_orders_user_id, uq_users_email, ck_orders_total,
  ix_orders_user_id, so a down can drop them by name on every database

Data
  --backfill "orders.status = 'pending' [where status is null] [batch 1000] [reverse NULL]"

Enum types (PostgreSQL)
  --create-enum "mood (happy, sad)"
  --add-enum-value "mood.ok [before|after happy]"

SQL
  --sql FILE    DDL statements, read into the same operations; statements migwright does
                not model run as written, without a down, with a note. Inline SQL works too:
                --sql "ALTER TABLE orders ADD COLUMN note text"

Naming
  --description "text"   the migration's description (default: derived from the verbs)
"""
