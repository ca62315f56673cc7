"""The notification outbox: every email and SMS is a row, written in the transaction of the
change that causes it, and delivered at most once per row with retries (:mod:`.delivery`)."""
