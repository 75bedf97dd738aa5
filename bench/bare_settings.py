"""Settings for the benchmarks only: production settings plus one bare endpoint.

`bench/topology.py` serves VENUE with `DJANGO_SETTINGS_MODULE=bench.bare_settings`.
Everything is the production configuration (`venue.settings.production`) except
the URLconf, which adds `GET /api/v1/bench/bare/` (see `bench/bare_urls.py`).
Production never loads this module, so the endpoint is not reachable there.
"""

from venue.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
