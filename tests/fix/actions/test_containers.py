"""The container actions (runner/fix/actions/containers.py) without an engine: how a container's
inspect data becomes the request that creates it again (what the image supplied is left out,
what the person chose is kept), how extra networks are joined, how Compose is found and called,
and when the Engine API is used instead. The engine stands in as a small fake that records what
it is asked; the same actions on a real engine are in tests/fix/test_run_engine.py."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docker.errors import APIError, NotFound

import runner.fix.actions.containers as containers
from runner.fix.actions import (
    ActionContext,
    RecreateContainerArgs,
    RefillVolumesArgs,
    ShadowingMount,
)
from runner.fix.actions.containers import (
    COMPOSE_FILES,
    COMPOSE_PROJECT,
    COMPOSE_SERVICE,
    COMPOSE_WORKING_DIR,
    container_spec,
    create_from_spec,
    recreate_container,
    refill_volumes,
)

OLD_ID = "0123456789ab" + "c" * 52
OLD_IMAGE = "sha256:" + "1" * 64
NEW_IMAGE = "sha256:" + "2" * 64

IMAGE_CONFIG = {
    "Env": ["PATH=/usr/local/bin:/usr/bin", "NODE_VERSION=20"],
    "Labels": {"org.opencontainers.image.version": "1.0", "maintainer": "image"},
    "Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["node", "server.js"],
    "WorkingDir": "/app", "User": "node", "StopSignal": "SIGTERM",
    "ExposedPorts": {"3000/tcp": {}}, "Volumes": {"/data": {}},
}


def inspect(**changes: Any) -> dict[str, Any]:
    """A container's inspect data, created with `docker run` from the image of IMAGE_CONFIG;
    changes are merged into Config and HostConfig and replace anything else."""
    attrs: dict[str, Any] = {
        "Id": OLD_ID, "Name": "/app", "Image": OLD_IMAGE,
        "Config": {**IMAGE_CONFIG, "Hostname": OLD_ID[:12], "Image": "app:staging",
                   "Env": [*IMAGE_CONFIG["Env"], "API_URL=http://api"],
                   "Labels": {**IMAGE_CONFIG["Labels"], "team": "web"},
                   "ExposedPorts": {"3000/tcp": {}, "9229/tcp": {}}},
        "HostConfig": {"Binds": ["/srv/conf:/app/conf:ro"], "NetworkMode": "default",
                       "PortBindings": {"3000/tcp": [{"HostPort": "8080"}]}, "RestartPolicy": {"Name": "always"}},
        "Mounts": [{"Type": "bind", "Source": "/srv/conf", "Destination": "/app/conf", "RW": False},
                   {"Type": "volume", "Name": "f00d", "Destination": "/data", "RW": True}],
        "NetworkSettings": {"Networks": {"bridge": {"Aliases": None, "IPAMConfig": None, "Links": None,
                                                    "DriverOpts": None}}},
        "State": {"Running": True, "Restarting": False},
    }
    for key, value in changes.items():
        attrs[key] = {**attrs[key], **value} if key in ("Config", "HostConfig") else value
    return attrs


class Api:
    """The low-level API the actions use; records every call. `fail`: the exception the first
    call of a name raises."""

    def __init__(self, image_config: dict[str, Any] | None = IMAGE_CONFIG, fail: dict[str, Exception] | None = None):
        self.image_config = image_config
        self.fail = fail or {}
        self.calls: list[tuple[str, Any]] = []
        self.running: set[str] = {OLD_ID}

    def _call(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs) if kwargs else (name, args))
        if name in self.fail:
            raise self.fail.pop(name)

    def inspect_image(self, image: str) -> dict[str, Any]:
        if self.image_config is None:
            raise NotFound("No such image")
        if image in getattr(self, "images", {}):
            return {"Config": self.images[image]}
        return {"Config": self.image_config}

    def create_container_from_config(self, body: dict[str, Any], name: str) -> dict[str, str]:
        self._call("create", name)
        self.created = body
        return {"Id": "f" * 64}

    def connect_container_to_network(self, container: str, network: str, **kwargs: Any) -> None:
        self._call("connect", container, network, **kwargs)

    def remove_container(self, container: str, **kwargs: Any) -> None:
        self._call("remove", container, **kwargs)

    def rename(self, container: str, name: str) -> None:
        self._call("rename", container, name)

    def stop(self, container: str, timeout: int) -> None:
        self._call("stop", container, timeout)
        self.running.discard(container)

    def start(self, container: str) -> None:
        self._call("start", container)
        self.running.add(container)

    def inspect_container(self, container: str) -> dict[str, Any]:
        return {"Image": NEW_IMAGE, "State": {"Running": container in self.running}}

    def inspect_volume(self, name: str) -> dict[str, Any]:
        return {"Name": name, "Driver": "local", "Options": {"type": "tmpfs"}, "Labels": {"keep": "me"}}

    def remove_volume(self, name: str) -> None:
        self._call("remove_volume", name)

    def create_volume(self, name: str, **kwargs: Any) -> None:
        self._call("create_volume", name, **kwargs)


class Containers:
    def __init__(self, found: dict[str, Any], listed: list[Any] | None = None) -> None:
        self.found = found
        self.listed = listed or []
        self.filters: list[dict[str, Any]] = []

    def get(self, name: str) -> Any:
        if name not in self.found:
            raise NotFound(f"No such container: {name}")
        return self.found[name]

    def list(self, all: bool, filters: dict[str, Any]) -> list[Any]:  # noqa: A002 - the SDK's name
        self.filters.append(filters)
        return self.listed


def container(attrs: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(id=attrs["Id"], name=attrs["Name"].lstrip("/"), attrs=attrs)


def engine(monkeypatch: pytest.MonkeyPatch, attrs: dict[str, Any], api: Api | None = None,
           listed: list[Any] | None = None) -> SimpleNamespace:
    """A fake engine holding one container, `app`, returned by client_for."""
    client = SimpleNamespace(api=api or Api(), containers=Containers({"app": container(attrs)}, listed))
    monkeypatch.setattr(containers, "client_for", lambda host: client)
    return client


@pytest.fixture
def output() -> list[str]:
    return []


@pytest.fixture
def ctx(tmp_path: Path, output: list[str]) -> ActionContext:
    return ActionContext(docker_host="unix:///fake.sock", cwd=tmp_path, output=output.append)


def spec_of(attrs: dict[str, Any], api: Api | None = None, image: str | None = None):
    return container_spec(SimpleNamespace(api=api or Api()), container(attrs), image)


# --- container_spec: the create request ----------------------------------------------------


def test_what_the_image_supplied_is_left_out_and_what_the_person_chose_is_kept():
    body = spec_of(inspect()).body
    assert body["Env"] == ["API_URL=http://api"]
    assert body["Labels"] == {"team": "web"}
    assert body["Entrypoint"] is None and body["Cmd"] is None
    for key in ("WorkingDir", "User", "StopSignal"):
        assert key not in body, key
    assert body["ExposedPorts"] == {"9229/tcp": {}}
    assert body["Volumes"] is None
    assert "Hostname" not in body  # the engine named it after the container ID
    assert body["HostConfig"]["PortBindings"] == {"3000/tcp": [{"HostPort": "8080"}]}
    assert body["HostConfig"]["RestartPolicy"] == {"Name": "always"}


def test_a_value_the_person_set_to_something_else_than_the_image_is_kept():
    attrs = inspect(Config={"WorkingDir": "/srv", "User": "root", "Hostname": "web-1",
                            "Env": ["NODE_VERSION=18"], "Labels": {"maintainer": "me"}})
    body = spec_of(attrs).body
    assert (body["WorkingDir"], body["User"], body["Hostname"]) == ("/srv", "root", "web-1")
    assert body["Env"] == ["NODE_VERSION=18"] and body["Labels"] == {"maintainer": "me"}


def test_an_entrypoint_given_at_run_time_keeps_the_command_too():
    body = spec_of(inspect(Config={"Entrypoint": ["sh", "-c"]})).body
    assert body["Entrypoint"] == ["sh", "-c"] and body["Cmd"] == ["node", "server.js"]


def test_a_command_given_at_run_time_is_kept_and_the_entrypoint_left_to_the_image():
    body = spec_of(inspect(Config={"Cmd": ["node", "debug.js"]})).body
    assert body["Entrypoint"] is None and body["Cmd"] == ["node", "debug.js"]


def test_when_the_old_image_is_gone_every_value_is_kept():
    body = spec_of(inspect(), api=Api(image_config=None)).body
    assert body["Env"] == [*IMAGE_CONFIG["Env"], "API_URL=http://api"]
    assert body["Labels"] == {**IMAGE_CONFIG["Labels"], "team": "web"}
    assert body["WorkingDir"] == "/app" and body["Cmd"] == ["node", "server.js"]


@pytest.mark.parametrize(("image", "config_image", "expected"), [
    ("app:prod", "app:staging", "app:prod"),  # the action's argument
    (None, "app:staging", "app:staging"),  # the reference it was created from
    (None, None, OLD_IMAGE),  # else the image ID
])
def test_the_image_to_run(image, config_image, expected):
    assert spec_of(inspect(Config={"Image": config_image}), image=image).body["Image"] == expected


def test_binds_are_kept_and_anonymous_volumes_named():
    attrs = inspect(Mounts=[
        {"Type": "bind", "Source": "/srv/conf", "Destination": "/app/conf", "RW": False},
        {"Type": "volume", "Name": "f00d", "Destination": "/data", "RW": True},
        {"Type": "volume", "Name": "beef", "Destination": "/cache", "RW": False},
        {"Type": "volume", "Name": "named", "Destination": "/app/conf"},  # covered by a bind
        {"Type": "volume", "Name": "mounted", "Destination": "/m"},  # covered by HostConfig.Mounts
    ], HostConfig={"Mounts": [{"Target": "/m", "Source": "mounted", "Type": "volume"}]})
    assert spec_of(attrs).body["HostConfig"]["Binds"] == ["/srv/conf:/app/conf:ro", "f00d:/data", "beef:/cache:ro"]


def test_no_binds_and_no_volumes_is_none():
    attrs = inspect(Mounts=[], HostConfig={"Binds": []})
    assert spec_of(attrs).body["HostConfig"]["Binds"] is None


def test_links_are_written_as_create_wants_them():
    attrs = inspect(HostConfig={"Links": ["/db:/app/database", "/cache"]})
    assert spec_of(attrs).body["HostConfig"]["Links"] == ["db:database", "cache"]


def test_the_default_network_is_bridge_and_other_networks_are_joined_after():
    networks = {
        "bridge": {"Aliases": None, "IPAMConfig": None, "Links": None, "DriverOpts": None},
        "backend": {"Aliases": ["api", OLD_ID[:12], OLD_ID], "IPAMConfig": {"IPv4Address": "172.30.0.9"},
                    "Links": None, "DriverOpts": None},
    }
    spec = spec_of(inspect(NetworkSettings={"Networks": networks}))
    assert spec.body["NetworkingConfig"] == {"EndpointsConfig": {"bridge": {
        "Aliases": None, "IPAMConfig": None, "Links": None, "DriverOpts": None}}}
    assert spec.extra_networks == [("backend", {"Aliases": ["api"], "IPAMConfig": {"IPv4Address": "172.30.0.9"},
                                                "Links": None, "DriverOpts": None})]


def test_a_user_network_mode_is_the_primary_network():
    networks = {"backend": {"Aliases": ["api"]}, "bridge": {}}
    spec = spec_of(inspect(HostConfig={"NetworkMode": "backend"}, NetworkSettings={"Networks": networks}))
    assert list(spec.body["NetworkingConfig"]["EndpointsConfig"]) == ["backend"]
    assert [name for name, _ in spec.extra_networks] == ["bridge"]


@pytest.mark.parametrize("mode", ["host", "none", "container:" + "9" * 64])
def test_a_container_without_its_own_network_joins_none(mode):
    spec = spec_of(inspect(HostConfig={"NetworkMode": mode}))
    assert spec.body["NetworkingConfig"] is None and spec.extra_networks == []
    assert spec.body["HostConfig"]["NetworkMode"] == mode


@pytest.mark.parametrize(("state", "running"), [({"Running": True}, True), ({"Restarting": True}, True),
                                               ({"Running": False, "Restarting": False}, False), ({}, False)])
def test_running_or_restarting_means_start_the_new_one(state, running):
    assert spec_of(inspect(State=state)).running is running


def test_name_auto_remove_and_stop_timeout():
    spec = spec_of(inspect(HostConfig={"AutoRemove": True}, Config={"StopTimeout": 30}))
    assert (spec.name, spec.auto_remove, spec.stop_timeout) == ("app", True, 30)
    spec = spec_of(inspect())
    assert (spec.auto_remove, spec.stop_timeout) == (False, 10)


# --- create_from_spec ---------------------------------------------------------------------


def test_create_then_join_the_extra_networks():
    api = Api()
    spec = containers.Spec("app", {"Image": "app:staging"}, extra_networks=[
        ("backend", {"Aliases": ["api"], "IPAMConfig": {"IPv4Address": "172.30.0.9", "IPv6Address": ""},
                     "Links": None, "DriverOpts": {"o": "1"}})])
    assert create_from_spec(SimpleNamespace(api=api), spec, "app-new") == "f" * 64
    assert api.created == {"Image": "app:staging"}
    assert api.calls == [("create", ("app-new",)), ("connect", ("f" * 64, "backend"), {
        "aliases": ["api"], "links": None, "ipv4_address": "172.30.0.9", "ipv6_address": None,
        "link_local_ips": None, "driver_opt": {"o": "1"}})]


def test_a_network_that_cannot_be_joined_removes_the_new_container():
    api = Api(fail={"connect": APIError("network backend not found")})
    spec = containers.Spec("app", {"Image": "app:staging"}, extra_networks=[("backend", {})])
    with pytest.raises(APIError):
        create_from_spec(SimpleNamespace(api=api), spec, "app-new")
    assert api.calls[-1] == ("remove", ("f" * 64,), {"force": True})


# --- a fake program -----------------------------------------------------------------------------


def script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


# --- recreate_container: through Compose or through the Engine API -----------------------------


def compose_labels(workdir: Path, files: str) -> dict[str, str]:
    return {"team": "web", COMPOSE_PROJECT: "shop", COMPOSE_SERVICE: "web", COMPOSE_WORKING_DIR: str(workdir),
            COMPOSE_FILES: files}


def fake_compose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exit_code: int = 0) -> Path:
    """A compose CLI that writes down its arguments and folder and says two lines."""
    record = tmp_path / "compose-call.json"
    path = script(tmp_path / "compose", f"""{sys.executable} -c 'import json, os, sys; json.dump({{"argv": sys.argv[1:], \
"cwd": os.getcwd(), "host": os.environ.get("DOCKER_HOST")}}, open("{record}", "w"))' "$@"
echo "Container shop-web-1  Recreate"
echo "Container shop-web-1  Started"
exit {exit_code}
""")
    monkeypatch.setattr(containers, "compose_command", lambda: (path,))
    return record


def test_a_compose_container_is_recreated_by_compose_with_its_files(monkeypatch, tmp_path, ctx, output):
    project = tmp_path / "shop"
    project.mkdir()
    (project / "compose.yaml").write_text("services: {}\n")
    (project / "compose.override.yaml").write_text("services: {}\n")
    record = fake_compose(tmp_path, monkeypatch)
    recreated = SimpleNamespace(name="shop-web-1", id="e" * 64, attrs={"Image": NEW_IMAGE})
    client = engine(monkeypatch, inspect(Config={"Labels": compose_labels(
        project, f"compose.yaml,{project}/compose.override.yaml")}), listed=[recreated])
    result = recreate_container(RecreateContainerArgs(container="app"), ctx)
    assert result.ok, result
    called = json.loads(record.read_text())
    assert called["argv"] == ["-p", "shop", "-f", f"{project}/compose.yaml", "-f", f"{project}/compose.override.yaml",
                              "up", "-d", "--no-deps", "--force-recreate", "--no-build", "web"]
    assert called["cwd"] == str(project) and called["host"] == "unix:///fake.sock"
    assert output[0].startswith("$ ") and output[1:] == ["Container shop-web-1  Recreate",
                                                         "Container shop-web-1  Started"]
    assert result.summary == "recreated service web of compose project shop"
    assert result.details["via"] == "compose" and result.details["containers"] == [
        {"name": "shop-web-1", "id": "e" * 64, "image": NEW_IMAGE}]
    assert client.containers.filters == [{"label": [f"{COMPOSE_PROJECT}=shop", f"{COMPOSE_SERVICE}=web"]}]
    assert client.api.calls == []  # compose did it all


def test_compose_that_fails_before_touching_the_container_leaves_it_running(monkeypatch, tmp_path, ctx):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    fake_compose(tmp_path, monkeypatch, exit_code=3)
    client = engine(monkeypatch, inspect(Config={"Labels": compose_labels(tmp_path, "compose.yaml")}))
    result = recreate_container(RecreateContainerArgs(container="app"), ctx)
    assert not result.ok and result.summary == "compose exited 3"
    assert result.state == "app is as compose left it (running)"
    assert client.api.calls == []


@pytest.mark.parametrize(("compose", "files", "why"), [
    (None, "compose.yaml", "no compose CLI here"),
    (("docker", "compose"), "gone.yaml", "its compose file is not here ({workdir}/gone.yaml)"),
    (("docker", "compose"), "", "its compose file is not here (no file recorded)"),
])
def test_without_compose_or_its_files_the_engine_api_recreates_it(monkeypatch, tmp_path, ctx, output,
                                                                  compose, files, why):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    monkeypatch.setattr(containers, "compose_command", lambda: compose)
    client = engine(monkeypatch, inspect(Config={"Labels": compose_labels(tmp_path, files)}))
    result = recreate_container(RecreateContainerArgs(container="app"), ctx)
    assert output[0] == (f"created by Compose project 'shop', but {why.format(workdir=tmp_path)}: "
                         "recreating through the Engine API with the same settings")
    assert result.ok and result.details["via"] == "engine-api"
    assert client.api.created["Labels"] == {"team": "web", **compose_labels(tmp_path, files)}  # labels kept


def test_the_engine_api_swaps_names_then_stops_the_old_and_starts_the_new(monkeypatch, ctx, output):
    client = engine(monkeypatch, inspect(Config={"StopTimeout": 5}))
    result = recreate_container(RecreateContainerArgs(container="app", image="app:prod"), ctx)
    new = "f" * 64
    names = [call for call in client.api.calls if call[0] in ("create", "rename")]
    temporary, aside = names[0][1][0], names[1][1][1]
    assert temporary.startswith("app-runner-new-") and aside == temporary.replace("-new-", "-old-")
    assert client.api.calls == [("create", (temporary,)), ("rename", (OLD_ID, aside)), ("rename", (new, "app")),
                                ("stop", (OLD_ID, 5)), ("start", (new,)),
                                ("remove", (OLD_ID,), {"v": False, "force": True})]
    assert client.api.created["Image"] == "app:prod"
    assert result.ok and result.summary == "recreated app: image 111111111111 -> 222222222222"
    assert result.details == {"old_id": OLD_ID, "new_id": new, "old_image": OLD_IMAGE, "new_image": NEW_IMAGE,
                              "via": "engine-api", "started": True}
    assert output == [f"created {temporary} (ffffffffffff) from app:prod", f"renamed the old container to {aside}",
                      f"stopped {aside}", f"started app ({new[:12]})"]


def test_a_stopped_container_is_recreated_and_left_stopped(monkeypatch, ctx):
    client = engine(monkeypatch, inspect(State={"Running": False}))
    result = recreate_container(RecreateContainerArgs(container="app"), ctx)
    assert result.ok and result.summary.endswith(" (left stopped, as it was)")
    assert [call[0] for call in client.api.calls] == ["create", "rename", "rename", "remove"]


def test_a_new_container_that_cannot_be_created_changes_nothing(monkeypatch, ctx):
    engine(monkeypatch, inspect(), api=Api(fail={"create": APIError("500 Server Error: invalid mount config")}))
    result = recreate_container(RecreateContainerArgs(container="app"), ctx)
    assert not result.ok and result.summary.startswith("could not create the new container: ")
    assert result.state == "nothing was changed: app still runs image 111111111111"


def test_a_new_container_that_cannot_start_puts_the_old_one_back(monkeypatch, ctx):
    client = engine(monkeypatch, inspect(), api=Api(fail={"start": APIError("port is already allocated")}))
    result = recreate_container(RecreateContainerArgs(container="app"), ctx)
    assert not result.ok and result.summary == "could not start (port is already allocated)"
    assert result.state == "restored: app is the old container again, running"
    assert client.api.calls[-3:] == [("remove", ("f" * 64,), {"force": True}), ("rename", (OLD_ID, "app")),
                                     ("start", (OLD_ID,))]


def test_no_such_container_changes_nothing(monkeypatch, ctx):
    engine(monkeypatch, inspect())
    result = recreate_container(RecreateContainerArgs(container="web"), ctx)
    assert (result.ok, result.summary, result.state) == (False, "no container 'web' on unix:///fake.sock",
                                                         "nothing was changed")


# --- refill_volumes -----------------------------------------------------------------------


def shadowing(**fields: Any) -> ShadowingMount:
    return ShadowingMount(destination="/app/dist", differing=("index.js",), differing_count=1, **fields)


def test_a_host_folder_is_never_emptied(monkeypatch, ctx):
    client = engine(monkeypatch, inspect())
    args = RefillVolumesArgs(container="app", mounts=[shadowing(type="bind", source="/srv/dist")])
    result = refill_volumes(args, ctx)
    assert not result.ok and result.summary.startswith("bind mount /srv/dist at /app/dist is a host folder")
    assert result.state == "nothing was changed" and client.api.calls == []


def test_a_volume_another_container_uses_is_not_emptied(monkeypatch, ctx):
    other = SimpleNamespace(name="worker", id="9" * 64)
    client = engine(monkeypatch, inspect(), listed=[other])
    result = refill_volumes(RefillVolumesArgs(container="app", mounts=[shadowing(type="volume", name="dist")]), ctx)
    assert not result.ok and result.summary == "volume dist is also used by worker"
    assert client.containers.filters == [{"volume": "dist"}] and client.api.calls == []


def test_a_volume_is_made_again_with_its_driver_options_and_labels(monkeypatch, ctx, output):
    client = engine(monkeypatch, inspect())
    result = refill_volumes(RefillVolumesArgs(container="app", mounts=[shadowing(type="volume", name="dist")]), ctx)
    assert result.ok and result.details == {"emptied": ["dist"], "new_id": "f" * 64}
    assert client.api.calls == [
        ("remove", (OLD_ID,), {"v": False, "force": True}), ("remove_volume", ("dist",)),
        ("create_volume", ("dist",), {"driver": "local", "driver_opts": {"type": "tmpfs"}, "labels": {"keep": "me"}}),
        ("create", ("app",)), ("start", ("f" * 64,))]
    assert output[-1] == "created app (ffffffffffff) and started it"


def test_a_label_the_old_image_had_is_kept_when_the_new_image_does_not_set_it():
    """`--label maintainer=image` the person gave, equal to the old image's: the new image
    has no such label, so the container keeps it; the version label the new image sets is
    the new image's."""
    api = Api()
    api.images = {"app:staging": {"Labels": {"org.opencontainers.image.version": "2.0"}}}
    body = spec_of(inspect(), api).body
    assert body["Labels"] == {"team": "web", "maintainer": "image"}
