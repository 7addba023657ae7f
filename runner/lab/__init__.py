"""The lab: replay a playbook's reproduction on a real engine and decide its claims.

Data in, data out: `run_lab` (run.py) returns a `LabReport` (results.py); what happens
meanwhile is told to a `progress` callback. Nothing here prints or exits.

Isolation. Everything a lab run creates is named `runner-lab-<run>-...` or carries the label
`runner.lab=<run>`: the base image has the label, so every image built FROM it and every
container made from those inherits it, and the lab adds `--label` to the docker build, run,
create, volume create and network create commands it runs. Build-cache records cannot carry
labels: the lab snapshots the record IDs around each step that may create records and owns
the new ones, unless a new record's parent is a record that is not its own (another client's
build running at the same moment). Every lab build descends from a base image whose first
layer holds the run ID, so its records never share a parent with anybody else's. Pruning,
in an experiment and at the end, is `prune --filter id=<ID>` of each owned record and of
nothing else. The run's objects are removed at the end of each experiment and of the run,
also after a failure or Ctrl-C.

The modules: run.py (a whole run), experiment.py (one experiment), context.py (what its steps
receive), steps.py (the registry of step kinds), assertions.py, buildlog.py (BuildKit's
output), engine.py (the engine and docker CLI, labelled), janitor.py (what a run created, and
its removal), lock.py (one lab at a time per engine), leftovers.py (what ended runs left), verdicts.py (claims decided), record.py (verdicts written
into the YAML), results.py; the exceptions (LabError stops a run, StepFailed an experiment) are
here. Placeholders and comparisons are the playbook's own language
(runner/playbook/placeholders.py, comparisons.py).

This package's own import stays light: the modules import the docker SDK when they use it.
"""

from __future__ import annotations

from runner.errors import RunnerError

RUN_LABEL = "runner.lab"
EXPERIMENT_LABEL = "runner.lab.experiment"
NAME_PREFIX = "runner-lab"


class LabError(RunnerError):
    """A lab cannot run at all: no lab section, no busybox, no BuildKit client."""


class StepFailed(Exception):
    """A step did not do what it must (a command's exit code, a missing file): the
    experiment cannot decide anything."""
