"""The click exception types, wherever this typer keeps them.

Newer typer releases vendor click as `typer._click` instead of depending on it; older ones use
the real `click`. The CLI needs the usage-error types to print them as one line, so it imports
them from here and works with both.
"""

from __future__ import annotations

try:  # typer >= 0.2x vendors click
    from typer._click.exceptions import (  # type: ignore[import-not-found,unused-ignore]
        ClickException,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )
except ImportError:  # pragma: no cover - typer with a click dependency
    from click.exceptions import (  # type: ignore[assignment,no-redef,unused-ignore]
        ClickException,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )

__all__ = ["ClickException", "NoArgsIsHelpError", "NoSuchOption", "UsageError"]
