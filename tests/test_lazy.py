"""runner/lazy.py: paramiko is not imported with docker-py, and is whole when used."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys, runner, docker
stand_in = sys.modules["paramiko"]
assert "SSHClient" not in vars(stand_in), "paramiko was imported with docker"
assert "paramiko.transport" not in sys.modules
import paramiko
assert paramiko.SSHClient.__module__ == "paramiko.client"  # the first read imports the real one
assert sys.modules["paramiko"] is not stand_in and sys.modules["paramiko"].SSHConfig
from paramiko import RejectPolicy
import paramiko.config
print("ok")
"""


def test_paramiko_waits_for_its_first_use():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_module_that_is_not_installed_is_left_alone():
    done = subprocess.run([sys.executable, "-c", "from runner.lazy import defer; import sys; "
                           "defer('no_such_module_here'); print('no_such_module_here' in sys.modules)"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
