"""Command-line arguments checked against the command's signature before fire runs it: fire calls a
command with its defaults when a flag is mistyped and only complains afterwards, when the output is
written. Here an unknown flag, a missing or surplus argument, or a number flag that is not a number
stops the run before any work."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence

from cardio_monai.errors import ParameterError

_FLAG = re.compile(r"^--?[A-Za-z]")
HELP = ("-h", "--help")


def _is_flag(token: str) -> bool:
    return bool(_FLAG.match(token))


def _keyword(token: str, names: Sequence[str], bool_syntax: bool) -> str | None:
    """The parameter a flag sets, as fire would resolve it (``--a-b``, ``--a_b``, ``--noflag``, ``-x``)."""
    key = token.lstrip("-").split("=", 1)[0].replace("-", "_")
    if key in names:
        return key
    if bool_syntax and key.startswith("no") and key[2:] in names:
        return key[2:]
    if len(key) == 1:
        matching = [n for n in names if n[0] == key]
        return matching[0] if len(matching) == 1 else None
    return None


def _check_number(name: str, annotation: str, value: str) -> None:
    if "float" not in annotation or "str" in annotation or value == "None":
        return
    try:
        ok = math.isfinite(float(value))
    except ValueError:
        ok = False
    if not ok:
        raise ParameterError(name, f"{value!r} is not a number")


def check_arguments(commands: Mapping[str, Callable], argv: Sequence[str]) -> None:
    """Raise :class:`ParameterError` for arguments the command cannot take; returns quietly for a
    valid call, a help request or a command fire will report itself (none, or an unknown one)."""
    argv = list(argv)
    if not argv or argv[0] not in commands or any(t in HELP for t in argv):
        return
    if "--" in argv:  # what follows is for fire itself
        argv = argv[: argv.index("--")]
    params = inspect.signature(commands[argv[0]]).parameters
    names = list(params)
    given: dict[str, str] = {}
    positional: list[str] = []
    tokens = argv[1:]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_flag(token):
            positional.append(token)
            i += 1
            continue
        bool_syntax = "=" not in token and (i + 1 == len(tokens) or _is_flag(tokens[i + 1]))
        name = _keyword(token, names, bool_syntax)
        if name is None:
            flags = ", ".join("--" + n for n in names)
            raise ParameterError(token.lstrip("-").split("=", 1)[0], f"unknown flag of {argv[0]} (it takes {flags})")
        if "=" in token:
            value, i = token.split("=", 1)[1], i + 1
        elif bool_syntax:
            value, i = "True", i + 1
        else:
            value, i = tokens[i + 1], i + 2
        _check_number(name, str(params[name].annotation), value)
        given[name] = value
    many = [n for n in names if params[n].kind is inspect.Parameter.VAR_POSITIONAL]  # e.g. merge's *predictions
    free = [n for n in names if n not in given and n not in many]
    if len(positional) > len(free) and not many:
        raise ParameterError(free[-1] if free else names[-1], f"{argv[0]} takes no argument {positional[len(free)]!r}")
    for name, value in zip(free, positional, strict=False):
        _check_number(name, str(params[name].annotation), value)
    missing = [n for n in free[len(positional) :] if params[n].default is inspect.Parameter.empty]
    if missing:
        raise ParameterError(missing[0], f"missing: {argv[0]} needs {' and '.join(m.upper() for m in missing)}")
