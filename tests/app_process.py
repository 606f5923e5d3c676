"""``alliance app`` in a process of its own, for the tests that talk to the served page
(test_app_browser.py, test_app_server.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

STARTUP_SECONDS = 120  # Solara's imports take 10-30 s on a loaded 2-core machine


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a server could bind 127.0.0.1:``port`` now (as ``alliance app`` does, SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ServedPage:
    """``alliance app --port PORT`` started in a new session (its own process group), until it serves
    its page at ``address``; ``stop`` ends it and its group."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.port = free_port()
        self.address = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [*(command or [sys.executable, "-m", "simulation.cli"]), "app", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(self.address, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"alliance app did not serve {self.address}:\n{self.stop()}")
                time.sleep(0.3)

    def stop(self) -> str:
        """End the server's whole process group (whatever is left of it) and return what it printed."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the group has ended already
        self.process.wait(timeout=20)
        with self.process.stdout:
            return self.process.stdout.read().decode(errors="replace")
