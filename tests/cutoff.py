"""Run a recreate, or a whole `runner`, and send this very process a signal at one point of the
recreate: how the engine tests cut a fix off at each step (SIGKILL: as a reboot or the OOM
killer would; SIGTERM: as systemd or a cancelled CI job would).

    python cutoff.py POINT SIGNAL recreate CONTAINER HOST
    python cutoff.py POINT SIGNAL refill CONTAINER HOST VOLUME DESTINATION
    python cutoff.py POINT SIGNAL runner ARGS...

POINT is where in runner/fix/journal.py's sequence the signal is sent (CUT_POINTS,
REFILL_CUT_POINTS).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from runner.fix import journal

# point -> (journal function, when: "before" or "after" it, the step it is called with or None)
CUT_POINTS = {
    "create": ("begin", "after", None),  # journaled, nothing created yet
    "created": ("advance", "before", "rename-old"),  # created, the journal does not know its id yet
    "rename-old": ("advance", "after", "rename-old"),
    "rename-new": ("advance", "after", "rename-new"),  # the old one is aside, the name is free
    "stop": ("advance", "after", "stop"),
    "start": ("advance", "after", "start"),  # the old one is stopped, the new one not started
    "remove": ("advance", "after", "remove"),
    "removed": ("clear", "before", None),  # everything done but forgetting the journal
}
# refill-volumes: remove the container, empty its volumes, create it again
REFILL_CUT_POINTS = {
    "remove-container": ("begin", "after", None),
    "empty-volumes": ("advance", "after", "empty-volumes"),  # the container is gone
    "create-again": ("advance", "after", "create-again"),  # the volume is empty, no container
    "refilled": ("clear", "before", None),
}


def cut_at(point: str, signum: int) -> None:
    name, when, step = {**CUT_POINTS, **REFILL_CUT_POINTS}[point]
    original = getattr(journal, name)

    def wrapped(*args, **kwargs):  # noqa: ANN202
        hit = step is None or (args[1] if len(args) > 1 else kwargs.get("step")) == step
        if hit and when == "before":
            os.kill(os.getpid(), signum)
        result = original(*args, **kwargs)
        if hit and when == "after":
            os.kill(os.getpid(), signum)
        return result

    setattr(journal, name, wrapped)


def main() -> None:
    point, signame, what, *rest = sys.argv[1:]
    cut_at(point, getattr(signal, signame))
    if what == "recreate":
        from runner.fix.actions import ActionContext, RecreateContainerArgs
        from runner.fix.actions.containers import recreate_container

        container, host = rest
        result = recreate_container(RecreateContainerArgs(container=container), ActionContext(host, Path.cwd(), print))
        print(result.summary)
        sys.exit(0 if result.ok else 1)
    if what == "refill":
        from runner.fix.actions import ActionContext, RefillVolumesArgs, ShadowingMount
        from runner.fix.actions.containers import refill_volumes

        container, host, volume, destination = rest
        mount = ShadowingMount(type="volume", name=volume, destination=destination)
        result = refill_volumes(RefillVolumesArgs(container=container, mounts=(mount,)),
                                ActionContext(host, Path.cwd(), print))
        print(result.summary)
        sys.exit(0 if result.ok else 1)
    from runner.cli import main as runner_main

    sys.argv = ["runner", *rest]
    runner_main()


if __name__ == "__main__":
    main()
