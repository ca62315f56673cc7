"""The task queue: django-tasks with its database backend, plus leases with a heartbeat.

Long jobs are ``django_tasks`` tasks (``@task()``), enqueued with ``.enqueue(...)`` inside the
service's transaction, so the job row and its task commit together (the database backend writes
the task as a row). ``kari worker`` runs them (:mod:`kari.tasks.worker`): each running task holds
a lease that a heartbeat renews; a task whose lease expires (its worker was killed) is put back
in the queue and run again by a live worker, so every task must be idempotent.
"""
