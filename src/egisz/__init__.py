"""egisz: the citizen identity provider (ЕСИА role) and the ЕГИСЗ personal cabinet."""
