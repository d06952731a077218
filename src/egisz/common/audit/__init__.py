"""Append-only journal of security events."""
