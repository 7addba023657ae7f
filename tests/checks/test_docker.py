"""Docker checks one by one against the real engine."""

from __future__ import annotations

import dockerlab
import pytest

from runner.checks.docker import build_cache, file_in_image, image, mounts
from runner.checks.docker import engine as engine_check
from runner.checks.kinds import FileInArtifactArgs, ImageArgs, MountsArgs, NoArgs
from runner.checks.result import CheckContext

pytestmark = pytest.mark.engine

COMPILED = "/app/dist/server/routes/authRoutes.js"


@pytest.fixture
def built(project):
    project.build()
    return project


def test_file_in_image_reads_without_running_and_leaves_nothing(built, tmp_path):
    mine = ("ps", "-aq", "--filter", f"ancestor={built.image}", "--filter", "label=runner.diagnose")
    result = file_in_image(FileInArtifactArgs(image=built.image, path=COMPILED, pattern=r"frontendUrl"),
                           CheckContext(cwd=tmp_path))
    assert result.status == "pass"
    assert result.evidence["matching_lines"] == ["compiled: " + dockerlab.AUTH_V1.strip()]
    assert dockerlab.docker(*mine).stdout.split() == [], "the stopped reader container was left behind"


def test_file_in_image_missing_file_and_missing_pattern(built, tmp_path):
    ctx = CheckContext(cwd=tmp_path)
    absent = file_in_image(FileInArtifactArgs(image=built.image, path="/app/nope.js"), ctx)
    assert absent.status == "fail" and absent.evidence["exists"] is False
    no_line = file_in_image(FileInArtifactArgs(image=built.image, path=COMPILED, pattern="^return res.redirect\\('/"), ctx)
    assert no_line.status == "fail"


def test_file_in_a_running_container(built, tmp_path):
    built.run_container()
    result = file_in_image(FileInArtifactArgs(container=built.container, path="/app/public/index.html"),
                           CheckContext(cwd=tmp_path))
    assert result.status == "pass" and result.evidence["size"] > 0


def test_missing_image_is_an_error_not_an_exception(engine, tmp_path):
    result = image(ImageArgs(image="runner-test-absent:never"), CheckContext(cwd=tmp_path))
    assert result.status == "error" and "no image" in result.summary


def test_build_cache_counts_records_by_type(built, tmp_path):
    result = build_cache(NoArgs(), CheckContext(cwd=tmp_path))
    assert result.status == "pass" and result.evidence["records"] >= 1
    assert sum(t["records"] for t in result.evidence["by_type"].values()) == result.evidence["records"]


def test_bind_mount_over_the_build_output_is_found(built, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "index.html").write_text("<h1>stale copy</h1>\n")
    built.run_container("-v", f"{served}:/app/public:ro")
    result = mounts(MountsArgs(container=built.container, image=built.image), CheckContext(cwd=tmp_path))
    assert result.status == "fail"
    assert result.evidence["shadowing"][0]["type"] == "bind"
    assert "/app/public/index.html" in result.evidence["shadowing"][0]["differing"]


def test_a_data_mount_where_the_image_has_nothing_is_not_shadowing(built, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    built.run_container("-v", f"{data}:/var/data")
    result = mounts(MountsArgs(container=built.container, image=built.image), CheckContext(cwd=tmp_path))
    assert result.status == "pass" and result.evidence["mounts"][0]["image_files"] == 0


def test_engine_check_reports_the_incapable_client_on_path(engine, tmp_path):
    result = engine_check(NoArgs(), CheckContext(cwd=tmp_path))
    assert result.evidence["server_version"] and result.evidence["build_client"]
    first = result.evidence["clients"][0]
    if not first["buildkit"]:
        assert result.status == "warn" and "cannot do BuildKit builds" in result.summary
    else:
        assert result.status == "pass"


def test_an_inspection_container_the_engine_is_slow_to_remove_does_not_undo_the_read():
    from types import SimpleNamespace

    import requests

    from runner.checks.docker import readable

    tries = []

    def slow(*args, **kwargs):
        tries.append(args or kwargs)
        raise requests.exceptions.ReadTimeout("UnixHTTPConnectionPool: Read timed out. (read timeout=10)")

    made = SimpleNamespace(id="c" * 64, remove=slow)
    client = SimpleNamespace(containers=SimpleNamespace(create=lambda *a, **k: made),
                             api=SimpleNamespace(remove_container=slow))
    with readable(client, image="app:1") as target:
        read = target.id
    assert read == "c" * 64 and len(tries) == 2  # removed, tried once more, and the read stands
