"""VENUE's URLconf plus a bare Django + DRF endpoint, the yardstick of the benchmarks.

`GET /api/v1/bench/bare/` goes through the same middleware, DRF authentication,
throttle and JSON renderer as every API view, and does no work: no database, no
cache. The cached event list is compared with it (`bench/topology.py`). Only
`bench/bare_settings.py` uses this module.
"""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from venue.urls import handler400, handler403, handler404, handler500
from venue.urls import urlpatterns as venue_urls

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class BareView(APIView):
    """A constant answer through the whole DRF stack."""

    def get(self, request):
        return Response({"count": 0, "next": None, "previous": None, "results": []})


urlpatterns = [path("api/v1/bench/bare/", BareView.as_view(), name="bench-bare"), *venue_urls]
