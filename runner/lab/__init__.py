"""The lab: replay a playbook's reproduction on a real engine and decide its claims."""
