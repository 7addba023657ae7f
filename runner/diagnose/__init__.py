"""Run a playbook's checks and name the cause: the conditions and the verdict."""
