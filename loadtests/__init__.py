"""Locust scenarios and their driver (`make loadtest`, `loadtests/run.py`)."""
