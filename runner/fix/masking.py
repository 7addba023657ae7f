"""Token-like secrets masked out of what a fix run shows and keeps: step output, environment
values, evidence, summaries. A recognisable prefix stays (`ghp_****`), the secret goes."""

from __future__ import annotations

import re
from typing import Any

_SECRET_PATTERNS = [
    # (pattern, replacement): keep a recognisable prefix, drop the secret
    (re.compile(r"\b(gh[pousr]_)[A-Za-z0-9]{20,}"), r"\1****"),
    (re.compile(r"\b(github_pat_)[A-Za-z0-9_]{20,}"), r"\1****"),
    (re.compile(r"\b(glpat-)[A-Za-z0-9_\-]{16,}"), r"\1****"),
    (re.compile(r"\b(xox[abposr]-)[A-Za-z0-9-]{10,}"), r"\1****"),
    (re.compile(r"\b(sk-(?:proj-|ant-)?)[A-Za-z0-9_\-]{20,}"), r"\1****"),
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), r"\1****"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"), r"\1****"),
    (re.compile(r"(?i)\b(basic\s+)[A-Za-z0-9+/]{8,}=*"), r"\1****"),
    (re.compile(r"(?i)((?:aws_secret_access_key|aws_session_token|password|passwd|pwd|secret|token|api_?key"
                r"|access_?key|client_secret|private_?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;]+"), r"\1****"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), r"\1****@"),
    (re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S),
     r"-----BEGIN \1PRIVATE KEY----- **** -----END \1PRIVATE KEY-----"),
]
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw|pwd|api_?key|access_?key|private_?key|credential|auth)")


def mask_secrets(text: str) -> str:
    """Text with token-like secrets replaced by `prefix****`."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_env(env: dict[str, str]) -> dict[str, str]:
    """Environment values: all of it when the name says secret, else the token-like parts."""
    return {name: "****" if _SECRET_NAME.search(name) and value else mask_secrets(value)
            for name, value in env.items()}


def mask_deep(value: Any) -> Any:
    """Every string inside a value, masked (the report's evidence, outputs, summaries)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: mask_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_deep(item) for item in value]
    return value
