"""From a log or words to playbooks: symptom signatures, search, Korean word splitting."""
