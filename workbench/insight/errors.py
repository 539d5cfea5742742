"""The error every insight function raises for a request it cannot serve, with a hint for the user."""

from __future__ import annotations


class InsightError(Exception):
    """A layer, class or model that cannot be explained; ``message`` says what, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint else "")
