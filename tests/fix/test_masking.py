"""Masking secrets (runner/fix/masking.py): token-like secrets go, ordinary output stays, and
environment values are masked by name and by shape."""

from __future__ import annotations

import pytest

from runner.fix.masking import mask_env, mask_secrets


@pytest.mark.parametrize("text, masked", [
    ("token ghp_0123456789abcdefghijABCDEFGHIJ0123 here", "token ghp_**** here"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_****"),
    ("remote: glpat-abcdefghij0123456789", "remote: glpat-****"),
    ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIA****"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ****"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Authorization: Bearer ****"),
    ("mysql --password=hunter2 -u root", "mysql --password=**** -u root"),
    ('{"password": "s3cret!"}', '{"password": "****"}'),
    ("https://deploy:s3cretpass@git.example.com/app.git", "https://deploy:****@git.example.com/app.git"),
    ("xoxb-1234567890-abcdefghij", "xoxb-****"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
     "-----BEGIN RSA PRIVATE KEY----- **** -----END RSA PRIVATE KEY-----"),
])
def test_secrets_are_masked(text, masked):
    assert mask_secrets(text) == masked


@pytest.mark.parametrize("text", [
    "#12 writing image sha256:bf06f5a6ca0f21d59e9393310634e0aa1d3ad49b168c266182cb3d3a1e41912a done",
    "#8 [backend-builder 3/4] COPY server ./server", "Step 3/7 : RUN npm ci", "git@github.com:team/app.git",
    "https://github.com/moby/buildkit/issues/4817", "the token bucket is empty", "AKIA is a prefix",
])
def test_ordinary_output_is_left_alone(text):
    assert mask_secrets(text) == text


def test_env_values_are_masked_by_name_and_by_shape():
    assert mask_env({"GITHUB_TOKEN": "abc", "DB_PASSWORD": "x", "NPM_AUTH": "y", "DOCKER_BUILDKIT": "1",
                     "NOTE": "Bearer abcdefghijkl"}) == {
        "GITHUB_TOKEN": "****", "DB_PASSWORD": "****", "NPM_AUTH": "****", "DOCKER_BUILDKIT": "1",
        "NOTE": "Bearer ****"}
