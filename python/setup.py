"""Build hooks: put the native library next to the package and tag the wheel.

`pip install ./python` or `python -m build --wheel python` after `cargo build --release -p
group-redis-ffi` copies target/release/libgroup_redis.so (or the file named by
$GROUP_REDIS_LIB) into the built package. The wheel is platform-specific (it carries native
code) but not tied to one Python version or ABI: the package loads the library with ctypes
and has no extension module, so its tag is py3-none-<platform>; `auditwheel repair` then
turns linux_x86_64 into the manylinux tag the library's glibc symbols allow.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
LIBRARY = "libgroup_redis.so"


def find_library() -> Path:
    override = os.environ.get("GROUP_REDIS_LIB")
    if override:
        return Path(override)
    return HERE.parent / "target" / "release" / LIBRARY


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        source = find_library()
        if not source.is_file():
            raise SystemExit(
                f"group-redis: {source} not found; run `cargo build --release -p group-redis-ffi` "
                "first or set GROUP_REDIS_LIB to the library's path"
            )
        target = Path(self.build_lib) / "group_redis" / LIBRARY
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        # The release profile keeps line tables (debug = 1) for the Rust side; the packaged
        # copy does not need them (40 MB -> a fraction). Optional: without binutils the
        # full copy is installed.
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-debug", str(target)], check=False)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


class AnyPythonWheel(bdist_wheel):
    """Tags the wheel py3-none-<platform>: any CPython 3 on this platform can load it."""

    def get_tag(self):
        _python, _abi, platform = super().get_tag()
        return "py3", "none", platform


setup(
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": AnyPythonWheel},
    distclass=BinaryDistribution,
)
