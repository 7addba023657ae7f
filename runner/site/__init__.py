"""The knowledge-base site: playbook pages, the MkDocs hook, build speed, the Korean search index."""
