"""CPU time the simulation spends outside its own process: its PostgreSQL backend's."""

import os
from pathlib import Path

from django.db import connection


def db_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far, from /proc (a server on
    this machine), else 0: with the simulation's own CPU time, what a stage costs whatever
    else loads the machine (benchmarks/round.py)."""
    if connection.vendor != "postgresql":
        return 0.0
    try:
        with connection.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            pid = c.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0
