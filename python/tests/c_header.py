"""Reads include/group_redis.h with a real C parser: its functions, callback typedefs and
enums, with every type spelled the one canonical way the Python declarations in
group_redis._native spell it ("const char *", "char **", "enum gr_status",
"const struct gr_connector *", "const char *const *").

The header is preprocessed by gcc (so its #includes and #ifdefs are resolved as a C
compiler resolves them) and parsed by pycparser. pycparser reads standard C only, so the
GNU `__attribute__` of the system headers is defined away; nothing in group_redis.h itself
uses it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pycparser import c_ast, c_parser

from c_linking import HEADER

#: A parameter or return type as text, and a parameter's name ("" for a return type).
Param = tuple[str, str]


@dataclass(frozen=True)
class Signature:
    returns: str
    params: tuple[Param, ...]


@dataclass(frozen=True)
class Header:
    functions: dict[str, Signature]
    callbacks: dict[str, Signature]
    enums: dict[str, dict[str, int]]


def spell(node: c_ast.Node) -> str:
    """The type of a declaration as text: qualifiers first, one space before each `*`
    run, `const` of a pointer right after its `*` (as the header is written)."""
    if isinstance(node, c_ast.PtrDecl):
        inner = spell(node.type)
        text = inner + ("*" if inner.endswith("*") else " *")
        return text + "const" if "const" in node.quals else text
    if isinstance(node, (c_ast.TypeDecl, c_ast.Typename)):
        quals = "const " if "const" in node.quals else ""
        return quals + spell(node.type)
    if isinstance(node, c_ast.IdentifierType):
        # <stdbool.h> defines bool as _Bool; the header says bool.
        return " ".join("bool" if name == "_Bool" else name for name in node.names)
    if isinstance(node, c_ast.Struct):
        return f"struct {node.name}"
    if isinstance(node, c_ast.Enum):
        return f"enum {node.name}"
    raise ValueError(f"{HEADER}: no spelling for {type(node).__name__} at {node.coord}")


def signature(function: c_ast.FuncDecl) -> Signature:
    params: list[Param] = []
    for param in function.args.params if function.args else []:
        text = spell(param.type)
        if text == "void" and param.name is None:  # f(void): no parameters
            continue
        params.append((text, param.name or ""))
    return Signature(spell(function.type), tuple(params))


def enum_values(enum: c_ast.Enum) -> dict[str, int]:
    values: dict[str, int] = {}
    next_value = 0
    for item in enum.values.enumerators:
        if item.value is not None:
            if not isinstance(item.value, c_ast.Constant):
                raise ValueError(f"{HEADER}: {item.name} is not a plain number")
            next_value = int(item.value.value, 0)
        values[item.name] = next_value
        next_value += 1
    return values


def preprocess(header: Path = HEADER) -> str:
    result = subprocess.run(
        ["gcc", "-E", "-P", "-std=c11", "-D__attribute__(x)=", str(header)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"gcc -E {header} failed:\n{result.stderr}")
    return result.stdout


def read(header: Path = HEADER, text: str | None = None) -> Header:
    """The header's `gr_` functions, `gr_` callback typedefs and `gr_` enums. `text`
    replaces the preprocessed header (for tests of this reader)."""
    tree = c_parser.CParser().parse(preprocess(header) if text is None else text, str(header))
    functions: dict[str, Signature] = {}
    callbacks: dict[str, Signature] = {}
    enums: dict[str, dict[str, int]] = {}
    for node in tree.ext:
        if isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            if node.name.startswith("gr_"):
                functions[node.name] = signature(node.type)
        elif isinstance(node, c_ast.Typedef) and node.name.startswith("gr_"):
            target = node.type
            if isinstance(target, c_ast.PtrDecl) and isinstance(target.type, c_ast.FuncDecl):
                callbacks[node.name] = signature(target.type)
            elif isinstance(target.type, c_ast.Enum) and target.type.values is not None:
                enums[target.type.name] = enum_values(target.type)
    return Header(functions, callbacks, enums)
