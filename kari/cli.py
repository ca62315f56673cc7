"""The `kari` console command.

`kari allocate ...` runs the pure allocation engine and `kari credential keygen|verify ...`
checks certificates offline, both without starting Django;
every other subcommand is a Django management command (Django's and Kari's own).
"""

import os
import sys


# Each subcommand imports only its own stack, inside `main`: these three lazy imports are
# kept on purpose, measured by benchmarks/cli_startup.py (x86_64, 2 shared cores, Python
# 3.11, medians): kari.allocation.cli (numpy, numba) 0.5-0.9 s, kari.credentials.cli
# 0.08-0.13 s, django.core.management 0.12-0.19 s, all three 1.3 s. Imported at the top,
# `kari credential verify` would start ten times slower and every Django command and
# `kari allocate` would pay for the others' imports.
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "allocate":
        from kari.allocation.cli import main as allocate_main

        return allocate_main(argv[1:])
    if argv and argv[0] == "credential":
        from kari.credentials.cli import main as credential_main

        return credential_main(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kari.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kari", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
