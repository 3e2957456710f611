"""What the cross-language tests share: a member process driven over the line protocol
(test_cross.py describes it)."""

from __future__ import annotations

import queue
import subprocess
import threading
from typing import Optional

import pytest

PATIENCE = 20.0


class Child:
    """A member process driven over the line protocol; every line it prints is kept."""

    def __init__(self, name: str, command: list[str]):
        self.name = name
        self.output: list[str] = []
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def send(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self, patience: float = PATIENCE) -> tuple[str, list[str]]:
        """The next OK line and the lines before it; fails the test on FAIL, exit or silence."""
        before: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=patience)
            except queue.Empty:
                pytest.fail(f"{self.name} said nothing for {patience} s; its output: {self.output}")
            if line is None:
                pytest.fail(f"{self.name} exited ({self.process.wait()}); its output: {self.output}")
            self.output.append(line)
            if line.startswith("FAIL"):
                pytest.fail(f"{self.name}: {line}")
            if line.startswith("OK"):
                return line, before
            before.append(line)

    def ask(self, command: str) -> str:
        self.send(command)
        return self.answer()[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("QUIT")
                self.process.wait(PATIENCE)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._reader.join(PATIENCE)
