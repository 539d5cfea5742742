"""Problems found in a spec, each placed by file, line and layer, with a hint for the fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec."""

    message: str
    hint: str = ""
    layer: str | None = None
    file: str | None = None
    line: int | None = None
    severity: str = "error"
    edits: tuple = ()  # spec edits (plain dicts, see workbench.doctor.edits) that fix it, when known

    def format(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.layer:
            text += f"layer '{self.layer}': "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class SpecError(Exception):
    """A spec could not be read; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))
