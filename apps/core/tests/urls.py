"""A URLconf for core tests: the real routes plus views that misbehave on purpose."""

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import Conflict

User = get_user_model()


class BoomView(APIView):
    def get(self, request):
        raise RuntimeError("secret internal detail")


class ConflictView(APIView):
    def get(self, request):
        raise Conflict("Seat F12 is taken.", details={"seats": [12]}, code="seat_unavailable")


class ThrottledView(APIView):
    def get(self, request):
        raise Throttled(wait=4.2)


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class EchoSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


class EchoView(APIView):
    def post(self, request):
        data = EchoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id"]


class UserListView(generics.ListAPIView):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer


class CatalogView(APIView):
    throttle_scope = "catalog"

    def get(self, request):
        return Response({"events": []})


class BookingView(APIView):
    throttle_scope = "booking"
    permission_classes = [IsAuthenticated]

    def post(self, request):
        return Response({"held": True})


class DatabaseDownView(APIView):
    def get(self, request):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


class SlowQueryView(APIView):
    """A statement past its timeout: PostgreSQL cancels it (QueryCanceled)."""

    def get(self, request):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")  # undone with the transaction
            cursor.execute("SELECT pg_sleep(2)")
        return Response({"slept": True})


class QueryView(APIView):
    def get(self, request):
        return Response({"users": User.objects.count()})


def page_database_down(request):
    raise OperationalError("server closed the connection unexpectedly")


def page_boom(request):
    raise RuntimeError("page failure")


urlpatterns = [
    path("api/test/boom/", BoomView.as_view()),
    path("api/test/conflict/", ConflictView.as_view()),
    path("api/test/throttled/", ThrottledView.as_view()),
    path("api/test/private/", PrivateView.as_view()),
    path("api/test/echo/", EchoView.as_view()),
    path("api/test/users/", UserListView.as_view()),
    path("api/test/catalog/", CatalogView.as_view()),
    path("api/test/booking/", BookingView.as_view()),
    path("api/test/database-down/", DatabaseDownView.as_view()),
    path("api/test/slow-query/", SlowQueryView.as_view()),
    path("api/test/query/", QueryView.as_view()),
    path("test/page-boom/", page_boom),
    path("test/page-database-down/", page_database_down),
    path("", include("venue.urls")),
]
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
