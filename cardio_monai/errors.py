"""The one exception type for problems with the user's input."""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """A problem with the user's input: the message is one line naming the file and the problem."""

    def __init__(self, path: str | PathLike | None, problem: str):
        self.path = None if path is None else str(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(self.problem if self.path is None else f"{self.path}: {self.problem}")
