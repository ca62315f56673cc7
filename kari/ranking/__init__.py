"""From results to admission: final lists, the ranking document and its outcome (A26-A28)."""
