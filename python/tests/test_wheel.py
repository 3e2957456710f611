"""The wheel as a user meets it: built by python/build-wheel.sh (`python -m build`, then
`auditwheel repair`), tagged py3-none-manylinux, installed with pip into a fresh venv of
every CPython >= 3.9 this machine has, imported from outside the source tree, and run
against the test harness's redis-server (blocking and asyncio)."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "target" / "release" / "libgroup_redis.so"
WHEEL_NAME = re.compile(r"^group_redis-0\.1\.0-py3-none-(?P<platforms>[a-z0-9_.]+)\.whl$")
MANYLINUX_X86_64 = re.compile(r"^manylinux_2_\d+_x86_64$|^manylinux(1|2010|2014)_x86_64$")


def _python_version(executable: str) -> str:
    """"3.N" for a working CPython with venv + ensurepip, else ""."""
    probe = (
        "import sys, platform, venv, ensurepip; "
        "print(platform.python_implementation(), '%d.%d' % sys.version_info[:2])"
    )
    try:
        result = subprocess.run(
            [executable, "-c", probe], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return ""
    words = result.stdout.split()
    if result.returncode != 0 or len(words) != 2 or words[0] != "CPython":
        return ""
    return words[1]


def interpreters() -> Dict[str, str]:
    """Every CPython >= 3.9 found, "3.N" -> executable: this one, python3.N on PATH, and
    pyenv's installs. $GROUP_REDIS_WHEEL_PYTHONS (':'-separated paths) adds others."""
    candidates = [sys.executable]
    candidates += os.environ.get("GROUP_REDIS_WHEEL_PYTHONS", "").split(":")
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in range(9, 20)]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.*", "bin", "python3")))
    found: Dict[str, str] = {}
    for executable in filter(None, candidates):
        version = _python_version(executable)
        if version and tuple(map(int, version.split("."))) >= (3, 9):
            found.setdefault(version, executable)
    return dict(sorted(found.items(), key=lambda item: tuple(map(int, item[0].split(".")))))


INTERPRETERS = interpreters()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("wheels")
    env = {**os.environ, "PYTHON": sys.executable}
    if LIBRARY.is_file():  # built by run-tests.sh: no cargo call from inside the tests
        env["GROUP_REDIS_LIB"] = str(LIBRARY)
    result = subprocess.run(
        [str(ROOT / "python" / "build-wheel.sh"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    yield wheels[0]


def test_wheel_is_tagged_for_any_python3_on_manylinux_and_ships_the_license(wheel: Path):
    match = WHEEL_NAME.match(wheel.name)
    assert match, wheel.name
    platforms = match["platforms"].split(".")
    assert all(MANYLINUX_X86_64.match(p) for p in platforms), platforms

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = "group_redis-0.1.0.dist-info"
        wheel_file = archive.read(f"{info}/WHEEL").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
        license_text = archive.read(f"{info}/licenses/LICENSE").decode()
    tags = [line.split(": ", 1)[1] for line in wheel_file.splitlines() if line.startswith("Tag: ")]
    assert tags == [f"py3-none-{p}" for p in platforms]
    assert "Root-Is-Purelib: false" in wheel_file
    assert {
        "group_redis/__init__.py",
        "group_redis/aio/__init__.py",
        "group_redis/py.typed",
        "group_redis/libgroup_redis.so",
    } <= names
    # Nothing grafted in: the library needs only libc, libm and libgcc_s from the system.
    assert not [n for n in names if n.startswith("group_redis.libs/")]

    assert license_text.startswith("Eclipse Public License - v 1.0")
    assert "7. GENERAL" in license_text
    assert "License-Expression: EPL-1.0" in metadata
    assert "Requires-Python: >=3.9" in metadata
    assert re.search(r"^Author: \S", metadata, re.M)
    urls = dict(re.findall(r"^Project-URL: ([^,]+), (\S+)$", metadata, re.M))
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(u.startswith("https://") for u in urls.values())


def test_auditwheel_accepts_the_wheel_as_manylinux(wheel: Path):
    result = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    consistent = re.search(r'is consistent with the following platform tag: "([^"]+)"', text)
    assert consistent, text
    assert consistent[1] in wheel.name


# Run by the fresh venv's interpreter, isolated (-I: no PYTHONPATH, no user site, not the
# current directory), in a directory outside the source tree.
USER_PROGRAM = r"""
import asyncio, json, sys
import group_redis
from group_redis import aio

url, group = sys.argv[1:3]
out = {"file": group_redis.__file__, "library": str(group_redis.library_path()),
       "python": "%d.%d" % sys.version_info[:2]}
with group_redis.connect(url, group=group, member_id="wheel-a") as a, \
        group_redis.connect(url, group=group, member_id="wheel-b") as b:
    a.join()
    b.join()
    out["members"] = [m.id for m in a.members()]
    lock = a.lock("wheel-lock")
    out["b_while_held"] = b.try_lock("wheel-lock", 0.2)
    out["released"] = lock.release()
    later = b.try_lock("wheel-lock", 5)
    out["tokens"] = [lock.token, later.token]
    later.release()

async def main():
    async with await aio.connect(url, group=group, member_id="wheel-aio") as conn:
        await conn.join()
        async with conn.locked("wheel-lock", wait=5) as held:
            return held.token

out["aio_token"] = asyncio.run(main())
print(json.dumps(out))
"""


@pytest.mark.parametrize("version", list(INTERPRETERS))
def test_the_installed_wheel_joins_locks_and_releases(
    version: str, wheel: Path, url: str, group: str, tmp_path: Path
):
    venv = tmp_path / f"venv-{version}"
    subprocess.run([INTERPRETERS[version], "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROUP_REDIS", "PYTHON"))}
    install = subprocess.run(
        [python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    result = subprocess.run(
        [python, "-I", "-c", USER_PROGRAM, url, group],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["python"] == version
    site = str(venv / "lib")
    assert out["file"].startswith(site) and out["library"].startswith(site), out
    assert out["members"] == ["wheel-a", "wheel-b"]
    assert out["b_while_held"] is None  # a held the lock: b waited 0.2 s and gave up
    assert out["released"] is True
    first, second = out["tokens"]
    assert first < second < out["aio_token"]
