"""Errors for model files the user gives or asks for: each says what is wrong and how to fix it."""

from __future__ import annotations

import errno


class ModelFileError(Exception):
    """A model file cannot be written or read; ``message`` says why, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} (hint: {hint})" if hint else message)


class ExportError(ModelFileError):
    """An export could not be written; nothing was left behind."""


class BundleError(ModelFileError):
    """A workbench bundle (.wbm) is damaged, tampered with or not a bundle at all."""


_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "the folder does not exist",
    errno.EISDIR: "the path is a folder",
}


def os_reason(exc: OSError) -> str:
    """A short human reason for an operating-system error."""
    return _REASONS.get(exc.errno, exc.strerror or str(exc) or type(exc).__name__)
