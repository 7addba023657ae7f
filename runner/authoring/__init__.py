"""Writing playbooks: importing a Markdown write-up, and new skeletons."""
