"""Helpers shared by the tests, each kept here once.

Tests live beside the code (`apps/<app>/tests/`) and in `tests/` for what crosses apps
or processes; what more than one place needs lives in this package:

- `demo`: the demo data of `manage.py seed_demo` (accounts, password, signing in);
- `fixtures`: users by role, API clients, a venue with a screen, a movie and an event;
- `showtimes`: the reserved and general-admission showtime fixtures, slots by hand;
- `booking`: buying (hold, then pay with the test provider) through the services or
  the API, and a sold-out showtime;
- `servers`: VENUE, Celery, a scratch PostgreSQL and a Redis as child processes;
- `sites`: a site to serve (environment, scratch database, `manage.py`, backends);
- `web`: a small HTTP client for those servers.

Conftests take the fixtures with `from tests.support.<module> import *`. Only test code
imports this package, never the application (tests/test_structure.py checks both that
and the dependency order of the apps these modules use).
"""
