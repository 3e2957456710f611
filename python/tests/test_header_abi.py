"""The header is the one source of the ABI: every ctypes declaration in group_redis._native,
every status code and enum the package mirrors, is checked against include/group_redis.h
as a C parser reads it (see c_header.py), and the C type spellings those declarations use
are checked against what gcc says the types are."""

from __future__ import annotations

import ctypes
import logging
import subprocess
from typing import Any, Optional

import pytest

from c_header import Header, Signature, read
from c_linking import HEADER, ROOT
from group_redis import _native, errors, logs
from group_redis.types import ConnectionState

DECLARED_IN = "group_redis._native"


@pytest.fixture(scope="module")
def header() -> Header:
    return read()


def mismatch(name: str, declared: _native.Declaration, found: Optional[Signature]) -> Optional[str]:
    """What differs between a Python declaration and the header's, naming the function and
    the parameter; None when they are the same."""
    if found is None:
        return f"{name}: declared in {DECLARED_IN} but not in {HEADER}"
    returns, params = declared
    if returns != found.returns:
        return f"{name}: returns `{found.returns}` in the header, `{returns}` in {DECLARED_IN}"
    for position in range(max(len(params), len(found.params))):
        mine = params[position] if position < len(params) else None
        theirs = found.params[position] if position < len(found.params) else None
        if mine != theirs:
            param_name = (theirs or mine)[1]  # type: ignore[index]
            where = f"{name} parameter {position + 1} `{param_name}`"
            return (f"{where}: the header has {spelled(theirs)}, {DECLARED_IN} declares "
                    f"{spelled(mine)}")
    return None


def spelled(param: Optional[tuple[str, str]]) -> str:
    if param is None:
        return "nothing"
    text, name = param
    return f"`{text}{'' if text.endswith('*') else ' '}{name}`"


@pytest.mark.parametrize("name", sorted(_native.FUNCTIONS))
def test_declared_function_matches_the_header(header, name):
    declared = _native.FUNCTIONS[name]
    problem = mismatch(name, declared, header.functions.get(name))
    assert problem is None, problem
    function = getattr(_native.lib, name)
    assert function.restype is _native.C_TYPES[declared[0]]
    assert function.argtypes == [_native.C_TYPES[t] for t, _ in declared[1]]


def test_callback_typedefs_match_the_header(header):
    assert sorted(_native.CALLBACKS) == sorted(header.callbacks), "callback typedefs differ"
    for name, declared in _native.CALLBACKS.items():
        problem = mismatch(name, declared, header.callbacks[name])
        assert problem is None, problem
        callback = _native.C_TYPES[name]
        assert callback._restype_ is _native.C_TYPES[declared[0]]
        assert callback._argtypes_ == tuple(_native.C_TYPES[t] for t, _ in declared[1])


def test_every_header_function_is_declared_or_listed_as_unused(header):
    forgotten = sorted(set(header.functions) - set(_native.FUNCTIONS) - set(_native.UNUSED))
    assert not forgotten, (
        f"{HEADER} declares {', '.join(forgotten)}: declare it in {DECLARED_IN}.FUNCTIONS "
        f"(and use it), or say in {DECLARED_IN}.UNUSED why the package does not"
    )
    assert not set(_native.UNUSED) & set(_native.FUNCTIONS), "both declared and listed as unused"
    stale = sorted(set(_native.UNUSED) - set(header.functions))
    assert not stale, f"{DECLARED_IN}.UNUSED lists {', '.join(stale)}, which the header lacks"


def test_the_checker_names_the_function_and_parameter_that_differ():
    # A made-up export, so this test does not change when the real ones do.
    params = [("const struct gr_connector *", "conn"), ("const char *", "name"),
              ("const char *", "member"), ("uint64_t", "wait_ms")]
    in_header = Signature("enum gr_status", tuple(params))
    assert mismatch("gr_f", ("enum gr_status", params), in_header) is None
    swapped = [params[0], params[2], params[1], params[3]]
    assert mismatch("gr_f", ("enum gr_status", swapped), in_header) == (
        f"gr_f parameter 2 `name`: the header has `const char *name`, {DECLARED_IN} declares "
        "`const char *member`"
    )
    narrower = [*params[:3], ("uint32_t", "wait_ms")]
    assert mismatch("gr_f", ("enum gr_status", narrower), in_header) == (
        f"gr_f parameter 4 `wait_ms`: the header has `uint64_t wait_ms`, {DECLARED_IN} declares "
        "`uint32_t wait_ms`"
    )
    longer = [*params, ("bool", "extra")]
    assert mismatch("gr_f", ("enum gr_status", longer), in_header) == (
        f"gr_f parameter 5 `extra`: the header has nothing, {DECLARED_IN} declares `bool extra`"
    )
    assert mismatch("gr_f", ("int", params), in_header) == (
        f"gr_f: returns `enum gr_status` in the header, `int` in {DECLARED_IN}"
    )
    assert mismatch("gr_f", ("int", params), None) == (
        f"gr_f: declared in {DECLARED_IN} but not in {HEADER}"
    )


def pointer_depth(ctype: Any) -> int:
    if ctype in (ctypes.c_void_p, ctypes.c_char_p):
        return 1
    if isinstance(ctype, type(ctypes.POINTER(ctypes.c_int))):
        return 1 + pointer_depth(ctype._type_)
    return 0


def pointee(spelling: str) -> str:
    """"const char *const *" -> "const char *"; "bool *" -> "bool"."""
    inner = spelling[: spelling.rindex("*")].rstrip()
    return inner[: -len("const")].rstrip() if inner.endswith("*const") else inner


def c_facts(spellings: list[str], tmp_path) -> dict[str, tuple[int, bool]]:
    """sizeof and signedness of each C type, from a program gcc compiles against the header."""
    lines = [f'    printf("%zu %d\\n", sizeof({t}), ({t})-1 < ({t})0);' for t in spellings]
    source = tmp_path / "facts.c"
    source.write_text('#include <stdio.h>\n#include "group_redis.h"\nint main(void) {\n'
                      + "\n".join(lines) + "\n    return 0;\n}\n")
    program = tmp_path / "facts"
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-I", str(ROOT / "include"),
                    str(source), "-o", str(program)], check=True)
    run = subprocess.run([str(program)], capture_output=True, text=True, check=True)
    out = run.stdout.split("\n")
    return {t: (int(line.split()[0]), line.split()[1] == "1") for t, line in zip(spellings, out)}


def test_c_type_spellings_are_the_ctypes_types_they_map_to(header, tmp_path):
    spellings = [t for t in _native.C_TYPES if t != "void" and t not in _native.CALLBACKS]
    facts = c_facts(spellings, tmp_path)
    for spelling in spellings:
        ctype = _native.C_TYPES[spelling]
        size, signed = facts[spelling]
        assert ctypes.sizeof(ctype) == size, (
            f"`{spelling}`: sizeof {size} in C, {ctypes.sizeof(ctype)} in ctypes"
        )
        assert pointer_depth(ctype) == spelling.count("*"), f"`{spelling}`: pointer levels differ"
        if spelling.count("*") == 0:
            if spelling == "bool":
                assert ctype is ctypes.c_bool
            elif spelling.startswith("enum "):
                # A C enum's own signedness is the compiler's choice; its values must fit.
                limit = 2 ** (8 * size - 1)
                for value in header.enums[spelling[len("enum "):]].values():
                    assert -limit <= value < limit and ctype(value).value == value, spelling
            else:
                assert (ctype(-1).value < 0) == signed, f"`{spelling}`: signedness differs"
        elif ctype in (ctypes.c_void_p, ctypes.c_char_p):
            target = pointee(spelling).removeprefix("const ")
            assert target in ("void", "char") or target.startswith("struct gr_"), (
                f"`{spelling}` is passed as an untyped pointer but points to `{target}`"
            )
        else:
            assert ctype._type_ is _native.C_TYPES[pointee(spelling)], (
                f"`{spelling}`: points to {ctype._type_.__name__}, "
                f"not the type of `{pointee(spelling)}`"
            )


def test_status_codes_are_the_headers(header):
    assert {s.name: s.value for s in errors.Status} == header.enums["gr_status"]
    failures = {s for s in errors.Status if s != errors.Status.GR_OK}
    assert set(errors.BY_STATUS) == failures, "every failure status needs its exception"
    for exception in errors.BY_STATUS.values():
        assert issubclass(exception, errors.GroupRedisError)
    for name in errors.__all__:
        exception = getattr(errors, name)
        if isinstance(exception, type) and issubclass(exception, errors.GroupRedisError):
            if exception is not errors.GroupRedisError:
                assert exception.status in errors.Status.__members__, (
                    f"{name}.status is {exception.status}, not a status"
                )


def test_a_failure_status_raises_its_exception_with_its_name():
    for status, exception in errors.BY_STATUS.items():
        raised = _native.error(status)
        assert type(raised) is exception and raised.status == errors.Status(status).name


def test_connection_states_and_log_levels_are_the_headers(header):
    states = dict(header.enums["gr_connection_state"])
    # 0 (no state: a wait timed out) is None in Python, never a ConnectionState.
    assert states.pop("GR_STATE_NONE") == 0
    assert {f"GR_STATE_{s.name}": s.value for s in ConnectionState} == states
    levels = header.enums["gr_log_level"]
    expected = {
        value: logs.TRACE if name == "GR_LOG_TRACE" else getattr(logging, name[len("GR_LOG_"):])
        for name, value in levels.items()
    }
    assert logs._LEVELS == expected
