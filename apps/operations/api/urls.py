from django.urls import path

from . import views

urlpatterns = [
    path("slots/<int:slot_id>/cancel/", views.SlotCancelView.as_view(), name="slot-cancel"),
    path("events/<int:event_id>/cancel/", views.EventCancelView.as_view(), name="event-cancel"),
    path("jobs/<int:job_id>/", views.JobView.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/retry/", views.JobRetryView.as_view(), name="job-retry"),
]
