"""HTTP probe: status and headers of a URL, redirects not followed (the seed read a
redirect's Location with `curl -I`)."""

from __future__ import annotations

import http.client
import re
import urllib.parse

from runner.checks.kinds import HttpArgs
from runner.checks.result import CheckContext, CheckResult


def http_probe(args: HttpArgs, ctx: CheckContext) -> CheckResult:
    url = urllib.parse.urlsplit(args.url)
    if url.scheme not in ("http", "https") or not url.hostname:
        return CheckResult("error", f"{args.url} is not an http(s) URL")
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname, url.port, timeout=args.timeout)
    target = urllib.parse.urlunsplit(("", "", url.path or "/", url.query, ""))
    try:
        connection.request(args.method.upper(), target, headers={"User-Agent": "runner-diagnose"})
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return CheckResult("error", f"{args.method} {args.url}: {exc}", {"url": args.url})
    finally:
        connection.close()
    evidence = {"url": args.url, "status": status, "headers": headers}
    summary = f"{args.method} {args.url} -> {status}"
    failed = args.expect_status is not None and status != args.expect_status
    if args.header:
        value = headers.get(args.header.lower())
        evidence["header"] = value
        summary += f", {args.header}: {value}"
        if args.matches is not None and (value is None or not re.search(args.matches, value)):
            failed = True
    return CheckResult("fail" if failed else "pass", summary, evidence)
