"""Where a resident runner listens, and what makes one the right one for this call. (Paths as
strings, no pathlib: this runs before the runner is imported, on every call.)"""

from __future__ import annotations

import hashlib
import os
import stat
import sys

from runner.codeprint import module_stamps
from runner.resident import ENV_FOLDER, ENV_SWITCH

SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes


def enabled(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    return environ.get(ENV_SWITCH, "1").strip().lower() not in {"0", "off", "no", "false"}


def runtime_folder(environ: dict[str, str] | os._Environ = os.environ) -> str:
    """RUNNER_RESIDENT_DIR, else $XDG_RUNTIME_DIR/runner, else <tmp>/runner-resident-<uid>."""
    own = environ.get(ENV_FOLDER)
    if own and os.path.isabs(own):
        return own
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "runner")
    # tempfile.gettempdir()'s variables, without importing tempfile (and random, shutil...).
    temporary = next((value for name in ("TMPDIR", "TEMP", "TMP") if os.path.isabs(value := environ.get(name, ""))),
                     "/tmp")
    return os.path.join(temporary, f"runner-resident-{os.getuid()}")


def private_folder(folder: str) -> str | None:
    """`folder`, made if needed, when it is the user's own and nobody else may enter it (a
    socket there is reachable by whoever can enter the folder); else None."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return folder


def startup_environment(environ: dict[str, str] | os._Environ = os.environ) -> list[str]:
    """The variables Python reads when it starts (imports, encodings, locale, time zone): a
    resident started under others would import other code or decode otherwise."""
    return sorted(f"{name}={value}" for name, value in environ.items()
                  if name.startswith(("PYTHON", "LC_", "PYDANTIC_")) or name in ("LANG", "TZ"))


def process_identity() -> list[str]:
    """What a child inherits from the resident, not from its caller, and what a command's reach
    depends on: the user and groups (added to the docker group since, a caller can reach the
    socket the resident could not), the limits and the namespaces it lives in."""
    import resource

    parts = [f"ids={os.getuid()},{os.geteuid()},{os.getgid()},{os.getegid()},{sorted(os.getgroups())}"]
    for limit in ("RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE"):
        parts.append(f"{limit}={resource.getrlimit(getattr(resource, limit))}")
    for space in ("mnt", "net", "pid", "user", "uts", "ipc", "cgroup"):
        try:
            parts.append(os.readlink(f"/proc/self/ns/{space}"))
        except OSError:
            parts.append(f"{space}:?")
    return parts


def key(environ: dict[str, str] | os._Environ = os.environ) -> str:
    """What a resident must share with this call: the code, the interpreter and its flags,
    the installed packages (a folder on the import path changes when one is added or removed),
    the process's identity and the start-up environment."""
    parts = [sys.executable, sys.version, repr(sys.flags), repr(sorted(sys._xoptions.items())),
             repr(sys.warnoptions), *process_identity(), *startup_environment(environ), *module_stamps()]
    for entry in sys.path[1:]:  # [0] is the script's folder, which the resident does not have
        try:
            parts.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def socket_path(environ: dict[str, str] | os._Environ = os.environ) -> str | None:
    """The socket of the resident for this call; None when there can be none here."""
    folder = private_folder(runtime_folder(environ))
    if folder is None:
        return None
    path = os.path.join(folder, f"{key(environ)}.sock")
    return path if len(os.fsencode(path)) <= SOCKET_PATH_MAX else None
