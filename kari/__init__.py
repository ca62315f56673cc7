"""Kari: national admission testing, end to end."""
