"""Errors a user can cause, kept apart from bugs.

Anything derived from :class:`UserError` is shown to the user as a plain one-line message
(the CLI prints it, the GUI shows it in a message box). Any other exception is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can understand and fix: a bad file, value or database."""


class DatabaseError(UserError):
    """The database cannot be opened or used as asked."""


class NewerSchemaError(DatabaseError):
    """The database was written by a newer Kindred; it is left untouched."""


class ValidationError(UserError):
    """A value does not pass validation. ``field`` names the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(UserError):
    """A record asked for by id or name does not exist."""


class ConflictError(UserError):
    """The change would clash with later changes or existing data."""


class FileProblem(UserError):
    """A file cannot be read or written; the message names the file and reason."""


class Cancelled(Exception):
    """Raised inside long work when the user pressed Cancel; the transaction is rolled back."""
