"""The audit tests use `fresh_db` (tests/conftest.py): a fresh, committed database per backend."""
