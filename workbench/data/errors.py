"""The error raised for data problems the user has to fix (missing folder, too few classes, no memory)."""

from __future__ import annotations


class DataError(Exception):
    """Training data cannot be prepared; ``message`` says what is wrong, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} (hint: {hint})" if hint else message)
