"""One exception type per cause.

The CLI turns a `MigwrightError` into one red line plus its hint and an exit code, so every
error names the problem (`str(err)`) and the fix (`err.hint`). Tools raise these; they never
print. Exit code 2 means bad input, 1 means a validation or lint failure.
"""

from __future__ import annotations


class MigwrightError(Exception):
    """Base of every error migwright reports to a person instead of a traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        """The problem and the fix on one line, as the CLI prints it."""
        message = " ".join(str(self).split())
        hint = " ".join(self.hint.split())
        return f"{message} ({hint})" if hint else message


class SpecError(MigwrightError):
    """A request (`--add-column ...`, `--sql FILE`) could not be parsed."""


class SchemaError(MigwrightError):
    """An operation does not fit the schema it is applied to (unknown table, duplicate column)."""


class IrreversibleError(MigwrightError):
    """A reverse was asked of an operation that cannot be reversed."""


class DialectError(MigwrightError):
    """An operation cannot be expressed in the chosen SQL dialect."""


class DetectionError(MigwrightError):
    """No framework, or several, were found where one was needed."""


class HistoryError(MigwrightError):
    """The migration history cannot be read or ordered (cycle, dangling parent, bad file)."""


class ConfigError(MigwrightError):
    """A framework or migwright configuration file is missing or malformed."""


class ScratchDatabaseError(MigwrightError):
    """A scratch database could not be created, reached or dropped, or a refusal to touch one."""


class IntrospectionError(MigwrightError):
    """A live database could not be read into a Schema."""


class ValidationFailed(MigwrightError):
    """A migration did not survive up / down / up on a scratch database."""

    exit_code = 1


class LintFailed(MigwrightError):
    """Lint found problems at or above the failing severity."""

    exit_code = 1


class ModelError(MigwrightError):
    """A language model is not configured, unreachable, or returned something unusable."""
