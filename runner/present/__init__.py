"""Playbooks and diagnoses as text for a terminal (rich) or JSON."""
