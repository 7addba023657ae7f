"""The command and HTTP checks against real processes and a real local server."""

from __future__ import annotations

import http.server
import sys
import threading

import pytest

from runner.checks.command import command
from runner.checks.http import http_probe
from runner.checks.kinds import CommandArgs, HttpArgs
from runner.checks.result import CheckContext
from runner.diagnose.diagnosis import run_check
from runner.playbook.model import Check


def test_command_expectations(tmp_path):
    ctx = CheckContext(cwd=tmp_path)
    ok = command(CommandArgs(run=(sys.executable, "-c", "print('hello 42')"), expect_output=r"hello \d+"), ctx)
    assert ok.status == "pass" and ok.evidence["matched"] == "hello 42"
    wrong_exit = command(CommandArgs(run=(sys.executable, "-c", "raise SystemExit(3)")), ctx)
    assert wrong_exit.status == "fail" and wrong_exit.evidence["exit_code"] == 3
    no_match = command(CommandArgs(run=(sys.executable, "-c", "print('x')"), expect_output="y"), ctx)
    assert no_match.status == "fail"
    missing = command(CommandArgs(run=("/nonexistent/tool",)), ctx)
    assert missing.status == "error" and "command not found" in missing.summary


def test_command_timeout_is_reported(tmp_path):
    check = Check(id="slow", kind="command", timeout=0.5,
                  args={"run": [sys.executable, "-c", "import time; time.sleep(10)"]})
    result = run_check(check, CheckContext(cwd=tmp_path))
    assert result.status == "error" and "timed out after 0.5 s" in result.summary


class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802
        self.send_response(302)
        self.send_header("Location", "https://staging.example/saleshub/login?error=no_token")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_probe_reads_a_redirect_like_curl_i(server, tmp_path):
    ctx = CheckContext(cwd=tmp_path)
    old_code = http_probe(HttpArgs(url=f"{server}/auth/sso-complete", header="Location",
                                   matches=r"^/login", expect_status=302), ctx)
    assert old_code.status == "fail"
    assert old_code.evidence["header"] == "https://staging.example/saleshub/login?error=no_token"
    fine = http_probe(HttpArgs(url=f"{server}/auth/sso-complete", header="Location", matches="error=no_token"), ctx)
    assert fine.status == "pass" and fine.evidence["status"] == 302


def test_http_probe_unreachable_is_an_error(tmp_path):
    result = http_probe(HttpArgs(url="http://127.0.0.1:9/", timeout=1), CheckContext(cwd=tmp_path))
    assert result.status == "error"
