"""Notification outbox: SMS and e-mail written in the caller's transaction, sent by a worker."""
