"""The error raised for training settings the user has to fix (an unavailable device, say)."""

from __future__ import annotations


class TrainingError(Exception):
    """Training cannot start; ``message`` says what is wrong, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} (hint: {hint})" if hint else message)
