"""Pieces both sites install: audit journal, outbox, one-time codes, UI base, identifiers."""
