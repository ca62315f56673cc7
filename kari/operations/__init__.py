"""Running Kari: the worker command, the outbox's staff page and the health check."""
