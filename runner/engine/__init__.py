"""Which Docker Engine to talk to (endpoints) and which docker CLI runs builds (clients)."""
