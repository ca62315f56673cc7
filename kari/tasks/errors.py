"""Telling a lost database connection from a task's own failure."""

from django.db import InterfaceError, OperationalError

LOST = (OperationalError, InterfaceError)


def connection_lost(exc: BaseException | None) -> bool:
    """True when ``exc`` (or an exception it was raised from or while handling) is the
    database going away (PostgreSQL restarted, the connection terminated, SQLite busy): the
    task did not fail, it was interrupted, and the queue runs it again. Tasks leave such an
    error to the worker instead of recording the job as failed."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LOST):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
