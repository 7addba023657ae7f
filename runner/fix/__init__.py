"""Plan a fix, ask for consent, run its steps and actions, prove it worked, and keep a run report."""
