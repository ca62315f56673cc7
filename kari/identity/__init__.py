"""Personal identity: personal numbers, phone numbers and the civil registry (A17.5)."""
