"""The HTTP check against a real local server: a redirect read like `curl -I`, an unreachable
address."""

from __future__ import annotations

import http.server
import threading

import pytest

from runner.checks.http import http_probe
from runner.checks.kinds import HttpArgs
from runner.checks.result import CheckContext


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
