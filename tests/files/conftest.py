"""Uploads in these tests go through a real clamd: the suite's (bin/test starts it and sets
TSUEN_CLAMD_SOCKET) or, where a test stops its scanner, a daemon of the test's own."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class OwnClamd:
    """A clamd started by ``bin/clamd`` in a directory of its own (short path: unix sockets
    allow about 100 characters)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="tsuen-clamd-"))
        self.socket = str(self.directory / "clamd.sock")

    def _run(self, command: str) -> None:
        subprocess.run(
            [REPO / "bin" / "clamd", command, self.directory],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")


@pytest.fixture
def own_clamd():
    daemon = OwnClamd()
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(daemon.directory, ignore_errors=True)
