"""The one exception type for problems with the user's input."""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """A problem with the user's input: the message is one line naming the file and the problem."""

    def __init__(self, path: str | PathLike | None, problem: str):
        self.path = None if path is None else str(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(self.problem if self.path is None else f"{self.path}: {self.problem}")

    def __reduce__(self):  # picklable, so that a worker process can hand it to the main one
        return type(self), (self.path, self.problem)


class ParameterError(ValueError):
    """A library function's parameter out of its range: ``parameter`` names it (as the function spells it),
    ``problem`` says what is wrong with its value in one line. The CLI reports it under the flag's name."""

    def __init__(self, parameter: str, problem: str):
        self.parameter = parameter
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{parameter}: {self.problem}")


def input_error_in(error: BaseException) -> InputError | None:
    """The :class:`InputError` that ``error`` is or was caused by, or None. MONAI's ``Compose`` and
    datasets re-raise a transform's error as ``RuntimeError("applying transform ...")`` from it; the user
    should still read the one-line reason."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, InputError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
