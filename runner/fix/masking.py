"""Token-like secrets masked out of what a fix run shows and keeps: step output, environment
values, evidence, summaries. A recognisable prefix stays (`ghp_****`), the secret goes."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

# (kind, pattern, replacement): keep a recognisable prefix, drop the secret. More specific forms
# first: a JWT inside `Authorization: Bearer` is one secret, counted once.
_SECRET_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("private-key", re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S),
     r"-----BEGIN \1PRIVATE KEY----- **** -----END \1PRIVATE KEY-----"),
    ("github-token", re.compile(r"\b(gh[pousr]_)[A-Za-z0-9]{20,}"), r"\1****"),
    ("github-token", re.compile(r"\b(github_pat_)[A-Za-z0-9_]{20,}"), r"\1****"),
    ("gitlab-token", re.compile(r"\b(glpat-)[A-Za-z0-9_\-]{16,}"), r"\1****"),
    ("slack-token", re.compile(r"\b(xox[abposr]-)[A-Za-z0-9-]{10,}"), r"\1****"),
    ("slack-webhook", re.compile(r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+"),
     r"\1****"),
    ("api-key", re.compile(r"\b(sk-(?:proj-|ant-)?)[A-Za-z0-9_\-]{20,}"), r"\1****"),
    ("npm-token", re.compile(r"\b(npm_)[A-Za-z0-9]{30,}"), r"\1****"),
    ("docker-token", re.compile(r"\b(dckr_pat_)[A-Za-z0-9_-]{20,}"), r"\1****"),
    ("huggingface-token", re.compile(r"\b(hf_)[A-Za-z0-9]{30,}"), r"\1****"),
    ("google-api-key", re.compile(r"\b(AIza)[0-9A-Za-z_-]{35}\b"), r"\1****"),
    ("aws-access-key", re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), r"\1****"),
    ("jwt", re.compile(r"\b(eyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), r"\1****"),
    ("authorization", re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"), r"\1****"),
    ("authorization", re.compile(r"(?i)\b(basic\s+)[A-Za-z0-9+/]{8,}=*"), r"\1****"),
    ("authorization", re.compile(r"(?i)\b(authorization:\s*token\s+)[A-Za-z0-9_\-.]{8,}"), r"\1****"),
    ("docker-auth", re.compile(r'(?i)("auth"\s*:\s*")[^"]+'), r"\1****"),
    ("docker-login-password", re.compile(r"(?i)(\bdocker\s+login\b[^\n]*?\s(?:-p|--password)(?:\s+|=))(?!\S*\*{4})\S+"),
     r"\1****"),
    ("password", re.compile(r"(?i)((?:aws_secret_access_key|aws_session_token|password|passwd|pwd|secret|token"
                            r"|api_?key|access_?key|client_secret|private_?key)[\"']?\s*[:=]\s*[\"']?)"
                            r"(?![^\s\"'&,;]*\*{4})[^\s\"'&,;]+"), r"\1****"),  # not one masked already
    ("url-password", re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), r"\1****@"),
    # A bare AWS secret access key: 40 characters of base64 with upper and lower case and a
    # digit (a hex SHA-1 has no upper case, so commit and image IDs stay).
    ("aws-secret-key", re.compile(r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])"
                                  r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), "****"),
]
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw|pwd|api_?key|access_?key|private_?key|credential|auth)")


def mask_secrets(text: str, tally: Counter[str] | None = None) -> str:
    """Text with token-like secrets replaced by `prefix****`; `tally` counts them by kind
    (what a report may say: which kinds were masked, never a value)."""
    for kind, pattern, replacement in _SECRET_PATTERNS:
        text, found = pattern.subn(replacement, text)
        if found and tally is not None:
            tally[kind] += found
    return text


def mask_env(env: dict[str, str]) -> dict[str, str]:
    """Environment values: all of it when the name says secret, else the token-like parts."""
    return {name: "****" if _SECRET_NAME.search(name) and value else mask_secrets(value)
            for name, value in env.items()}


def mask_deep(value: Any, tally: Counter[str] | None = None) -> Any:
    """Every string inside a value, masked (the report's evidence, outputs, summaries)."""
    if isinstance(value, str):
        return mask_secrets(value, tally)
    if isinstance(value, dict):
        return {key: mask_deep(item, tally) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_deep(item, tally) for item in value]
    return value
