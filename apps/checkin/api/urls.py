from django.urls import path

from . import views

urlpatterns = [
    path("checkin/scan/", views.ScanView.as_view(), name="checkin-scan"),
    path("checkin/upload/", views.UploadView.as_view(), name="checkin-upload"),
    path("slots/<int:slot_id>/checkin/", views.FiguresView.as_view(), name="checkin-figures"),
    path("slots/<int:slot_id>/checkin/list/", views.ListView.as_view(), name="checkin-list"),
    path(
        "slots/<int:slot_id>/checkin/conflicts/",
        views.ConflictsView.as_view(),
        name="checkin-conflicts",
    ),
    path("events/<int:event_id>/checkin/", views.EventRulesView.as_view(), name="checkin-rules"),
]
