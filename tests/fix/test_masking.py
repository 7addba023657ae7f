"""Masking secrets (runner/fix/masking.py): token-like secrets go, ordinary output stays, and
environment values are masked by name and by shape."""

from __future__ import annotations

import json

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


@pytest.mark.parametrize("kind, text, masked", [
    ("aws-secret-key", "export KEY wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY now", "export KEY **** now"),
    ("jwt", "session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "session eyJ****"),
    ("authorization", "Authorization: token 0123456789abcdef0123456789abcdef01234567",
     "Authorization: token ****"),
    ("npm-token", "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789",
     "//registry.npmjs.org/:_authToken=npm_****"),
    ("slack-webhook", "POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "POST https://hooks.slack.com/services/****"),
    ("docker-token", "dckr_pat_2b3e36beeb386dfdaacb9b46004ccb7c", "dckr_pat_****"),
    ("huggingface-token", "HF hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "HF hf_****"),
    ("google-api-key", "key=AIzaSyA1234567890abcdefghijklmnopqrstuv", "key=AIza****"),
    ("docker-login-password", "docker login -u ci -p s3cr3t-Pa55 registry.example.com",
     "docker login -u ci -p **** registry.example.com"),
    ("docker-auth", '{"auths": {"registry.example.com": {"auth": "Y2k6czNjcjN0LVBhNTU="}}}',
     '{"auths": {"registry.example.com": {"auth": "****"}}}'),
])
def test_each_common_form_is_masked_and_counted_by_kind(kind, text, masked):
    from collections import Counter

    tally: Counter[str] = Counter()
    assert mask_secrets(text, tally) == masked
    assert tally == {kind: 1}


@pytest.mark.parametrize("text", [
    "commit 9c41631d6f4e0f5d0e2b5f0b9a0c1d2e3f4a5b6c",  # a SHA-1 is 40 characters, lower-case hex
    "docker run -p 8080:80 app",  # -p outside `docker login` is a port
    "Step 3/7 : RUN npm ci --prefix /app/node_modules/very/long/path/name/here",
])
def test_lookalikes_are_left_alone(text):
    assert mask_secrets(text) == text


def test_a_run_report_says_which_kinds_were_masked_never_the_values():
    from runner.fix.run import FixRun

    run = FixRun("buildkit-stale", {"image": "app", "token": "ghp_0123456789abcdefghijABCDEFGHIJ0123"},
                 "unix:///var/run/docker.sock", {}, "2026-12-02T00:00:00+00:00")
    run.masked["jwt"] += 2  # what the steps' output held
    report = run.to_json()
    assert report["masked"] == {"github-token": 1, "jwt": 2}
    assert "0123456789abcdefghij" not in json.dumps(report)
