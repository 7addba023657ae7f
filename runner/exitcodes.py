"""Exit codes of every `runner` command, named once (documented in the README)."""

OK = 0  # nothing wrong / the command did its job
PROBLEM = 1  # a problem was found (diagnose), a fix did not resolve it, no match (triage)
CANNOT = 2  # could not do the job: engine unreachable, missing image, bad parameter; also click's usage errors
INVALID_PLAYBOOK = 3  # a playbook file does not validate
NOT_APPLIED = 4  # fix: nothing was applied for lack of consent (no terminal and no --yes, or declined)
STEP_FAILED = 5  # fix: a step failed or timed out; the run says what state is left
LAB_DIFFERS = 6  # lab: a claim's verdict differs from the status the playbook records, or a replayed
#                  wrong attempt, fix or cause did not behave as the playbook says
INTERNAL = 70  # a bug in the runner (EX_SOFTWARE): please report it
INTERRUPTED = 130  # Ctrl-C
