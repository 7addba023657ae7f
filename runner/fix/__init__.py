"""Plan a fix, ask for consent, run its steps and actions, prove it worked, and keep a run report.

The flow, one module each: plan.py (the fix's steps, params and evidence filled in) ->
consent.py (whether they may run) -> steps.py (running them, with timeouts and Ctrl-C) ->
run.py (diagnose again, further rounds, the verdict) -> run_report.py (the JSON file of the
run). masking.py keeps secrets out of all of it; actions/ holds what a step can do besides
running a command. lock.py lets one fix at a time work on a container; journal.py records a
recreate's changes before they are made, so that a run killed half way is finished or undone by
the next (`fix --recover`); their files live in the state folder (runner/state.py).
"""
