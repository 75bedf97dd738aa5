"""URL routes: pages, the versioned API, the schema and docs, health probes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core import views as core_views
from apps.core.metrics import metrics_view

# Django tries patterns in order: the hottest routes come first (public event and
# showtime reads, then bookings). No two includes share a path, so order is free.
api_v1 = [
    path("", include("apps.scheduling.api.urls")),
    path("", include("apps.bookings.api.urls")),
    path("", include("apps.core.api.urls")),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.waitlist.api.urls")),
    path("", include("apps.checkin.api.urls")),
    path("", include("apps.operations.api.urls")),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api-auth/", include("rest_framework.urls")),
    # Pages (issue 8): the public site at /, the organizer portal at /organizer/.
    path("organizer/", include("apps.organizer.urls")),
    path("", include("apps.site.urls")),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
