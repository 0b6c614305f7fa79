"""Imports every rule module so that each registers its rules (the plugin-style registry).

A new rule family is one module plus one line here.
"""

from __future__ import annotations

from . import (  # noqa: F401
    markers,
    rules_alter,
    rules_column,
    rules_constraint,
    rules_enum,
    rules_index,
    rules_migration,
    rules_mysql,
    rules_table,
    rules_txn,
    rules_type_change,
    rules_types,
)
