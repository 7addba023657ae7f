"""The playbook format: the models, the loader (YAML with positions), cross-references, params, the schema, and where the playbooks are."""
