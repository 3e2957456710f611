"""Build hook: puts the native library next to the package.

`pip install ./python` after `cargo build --release -p group-redis-ffi` copies
target/release/libgroup_redis.so (or the file named by $GROUP_REDIS_LIB) into the built
package, and marks the wheel as platform-specific since it carries native code.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
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


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
