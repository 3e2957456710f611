"""The cross-language tests share python/tests' fixtures (redis-server on a free port) and
the three members' commands, built once per run: the C member compiled with gcc, the Java
member with javac against the project's jar, the Python member run by this interpreter."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python", "tests"))

from gr_fixtures import connect, group, redis_server, url  # noqa: E402,F401

import group_redis  # noqa: E402
from c_linking import link_args  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def built_jar() -> Path:
    """The jar java/run-tests.sh (or tests/cross/run.sh) built: the one users get."""
    jars = [j for j in (ROOT / "java" / "target").glob("group-redis-*.jar")
            if not j.name.endswith(("-sources.jar", "-javadoc.jar")) and not j.name.startswith("original-")]
    if not jars:
        pytest.fail("no java/target/group-redis-*.jar: run tests/cross/run.sh (it builds the jar)")
    return jars[0]


@pytest.fixture(scope="session")
def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="gr-cross-"))


@pytest.fixture(scope="session")
def c_command(scratch: Path) -> list[str]:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed for the cross-language test")
    binary = scratch / "cross_member"
    subprocess.run(
        ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", str(HERE / "cross_member.c"),
         "-o", str(binary), *link_args(group_redis.library_path(), scratch)],
        check=True,
    )
    return [str(binary)]


@pytest.fixture(scope="session")
def java_command(scratch: Path) -> list[str]:
    for tool in ("javac", "java"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed for the cross-language test")
    jar = built_jar()
    classes = scratch / "java"
    subprocess.run(
        ["javac", "-encoding", "UTF-8", "-Xlint:all", "-Werror", "-cp", str(jar), "-d", str(classes),
         str(HERE / "CrossMember.java")],
        check=True,
    )
    # The native library comes out of the jar, as for any user; -Xcheck:jni as the Java tests.
    return ["java", "-Xcheck:jni", "-cp", f"{jar}:{classes}", "CrossMember"]


@pytest.fixture(scope="session")
def python_command() -> list[str]:
    return [sys.executable, str(HERE / "cross_member.py")]
