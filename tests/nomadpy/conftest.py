"""A fresh `drover agent -dev` for every test, as Nomad's own api tests start a fresh server for
each one (`makeClient`), and a nomadpy client pointed at it.

The Go tests' server has one client node that cannot run their jobs (its raw_exec driver is off),
so nothing they register is ever placed: evaluations end blocked and job statuses stay pending.
Here the one simulated node is in datacenter `elsewhere` while the jobs ask for `dc1`, to the
same effect."""

import os
import socket
import subprocess
import time
import urllib.request

import pytest

import nomadpy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(address: str, agent: subprocess.Popen) -> None:
    for _ in range(300):
        if agent.poll() is not None:
            raise RuntimeError(f"drover agent exited with {agent.returncode}")
        try:
            urllib.request.urlopen(address + "/v1/status/leader", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("drover agent did not start")


@pytest.fixture
def client():
    port = _free_port()
    agent = subprocess.Popen(
        [os.environ["DROVER_BIN"], "agent", "-dev", "-bind", "127.0.0.1",
         "-http-port", str(port), "-dc", "elsewhere", "-log-level", "WARN"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(address, agent)
        yield nomadpy.Client(nomadpy.Config(address=address))
    finally:
        agent.terminate()
        agent.wait(timeout=10)
