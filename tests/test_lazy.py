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


METADATA_CHECK = """
import sys, runner
import pydantic
from runner.playbook.model import LocalizedText
LocalizedText.model_validate({"en": "x"})  # pydantic builds a validator: it would look for plugins
import docker  # urllib3 takes importlib.metadata's `version` for HTTP/2
stand_in = sys.modules["importlib.metadata"]
assert "distribution" not in vars(stand_in), "importlib.metadata was imported for pydantic's plugins"
from importlib.metadata import version, entry_points
assert version("click")
assert sys.modules["importlib.metadata"] is not stand_in
assert entry_points(group="console_scripts").select(name="runner")
print("ok")
"""


def test_importlib_metadata_waits_for_a_caller_that_needs_it():
    done = subprocess.run([sys.executable, "-c", METADATA_CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_forwarded_function_imports_the_module_when_called():
    code = ("import sys, types; from runner.lazy import defer; defer('json', forwarded=('dumps',)); "
            "from json import dumps; before = 'JSONEncoder' in vars(sys.modules['json']); "
            "print(before, dumps([1]), sys.modules['json'].JSONEncoder.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "[1]", "JSONEncoder"], done.stderr
