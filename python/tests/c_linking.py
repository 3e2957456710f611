"""Linking a C program against the library the Python package loads (the cross-language
test and the benchmark compile one).

The program is linked with the library's path, so it records the library's SONAME
(libgroup_redis.so.0.1, the header's GROUP_REDIS_SONAME) and the loader then looks for a
file of that name, which the package's copy (libgroup_redis.so) is not: a link of that name
in the program's own directory, found through its rpath, points to the copy.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "group_redis.h"


def soname() -> str:
    """The SONAME the header says the library has."""
    found = re.search(r'^#define GROUP_REDIS_SONAME "([^"]+)"$', HEADER.read_text(), re.M)
    if found is None:
        raise RuntimeError(f"no GROUP_REDIS_SONAME in {HEADER}")
    return found.group(1)


def link_args(library: Path, program_dir: Path) -> list[str]:
    """gcc arguments that link `library` into a program that will live in `program_dir`."""
    alias = program_dir / soname()
    if not alias.exists():
        alias.symlink_to(library.resolve())
    return ["-I", str(ROOT / "include"), str(library), f"-Wl,-rpath,{program_dir}"]
