"""Payment endpoints: a payment's status (polled after 3-D Secure) and Stripe's webhook."""

import logging

from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.bookings import services, stripe_provider
from apps.bookings.models import Payment
from apps.bookings.payments import ProviderUnavailable
from apps.core.exceptions import ApplicationError, NotFound, ServiceUnavailable

logger = logging.getLogger("apps.bookings.api")

RETURN_PATH = "/payments/"  # the site's /payments/<id>/return/, where 3-D Secure comes back
SEEN_SECONDS = 3 * 86400  # Stripe redelivers an event for up to 3 days
INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
}


def payment_return_url(request) -> str:
    """The page a customer comes back to from 3-D Secure, `{payment}` for the payment's id
    (`services.booking_confirm`'s `return_url`)."""
    return request.build_absolute_uri(RETURN_PATH) + "{payment}/return/"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "No such payment of yours."


class InvalidSignature(ApplicationError):
    code = "invalid_signature"
    message = "The Stripe-Signature header does not verify this payload."


class PaymentStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=Payment.Status.choices,
        help_text="`pending` while the customer authorises (3-D Secure) or the provider "
        "works; then `succeeded` (booked), `failed` (nothing charged; the hold is kept "
        "while it lasts), `refund_pending`/`refunded` (charged, but the hold was gone).",
    )
    booking = serializers.IntegerField(allow_null=True, help_text="The booking once paid.")


class PaymentActionSerializer(serializers.Serializer):
    """A confirm's 202: the payment waits for its customer (or its provider)."""

    status = serializers.ChoiceField(choices=["requires_action", "processing"])
    payment = serializers.IntegerField(help_text="Poll `GET payments/{payment}/`.")
    redirect_url = serializers.URLField(
        allow_null=True,
        help_text="The bank's page (3-D Secure) to send the customer to; null while the "
        "provider is processing.",
    )


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()


class PaymentDetailView(APIView):
    """One of your payments; asking also settles it if the provider has finished it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="payments_retrieve",
        responses={
            200: PaymentStatusSerializer,
            404: OpenApiResponse(description="payment_not_found: no such payment of yours"),
        },
    )
    def get(self, request, payment_id: int):
        payment = services.payment_resume(payment_id=payment_id, user=request.user)
        if payment is None:
            raise PaymentNotFound()
        return Response({"id": payment.pk, "status": payment.status, "booking": payment.booking_id})


class StripeWebhookView(APIView):
    """Stripe's events about our PaymentIntents and refunds, verified by their signature.

    An event only says "look again": the payment it names is settled from what Stripe
    answers now, through the same compare-and-set path as every settler, so an event
    delivered twice, late or out of order books or refunds nothing twice."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "webhook"

    @extend_schema(
        operation_id="payments_stripe_webhook",
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                {"type": "string", "minLength": 1},
                location=OpenApiParameter.HEADER,
                required=True,
                description='`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under '
                "the endpoint's signing secret (STRIPE_WEBHOOK_SECRET), at most 5 minutes old.",
            )
        ],
        responses={
            200: WebhookAnswerSerializer,
            400: OpenApiResponse(
                description="invalid_signature: not an event signed with the endpoint's "
                "secret (or too old, or not JSON)"
            ),
            503: OpenApiResponse(
                description="service_unavailable: Stripe or the database did not answer "
                "while settling; Stripe delivers the event again"
            ),
        },
    )
    def post(self, request):
        try:
            event = stripe_provider.webhook_event(
                request.body, request.headers.get("Stripe-Signature")
            )
        except stripe_provider.InvalidWebhook as exc:
            logger.info("stripe webhook refused: %s", exc)
            raise InvalidSignature() from exc
        seen = f"venue:stripe-event:{event.get('id')}"
        if _seen(seen):
            return Response({"received": True})
        try:
            _handle(event)
        except ProviderUnavailable as exc:
            logger.warning("stripe webhook %s: %s", event.get("id"), exc)
            raise ServiceUnavailable("Stripe did not answer; deliver the event again.") from exc
        _remember(seen)
        return Response({"received": True})


def _handle(event: dict) -> None:
    kind, obj = event["type"], event["data"].get("object") or {}
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return
    if kind in INTENT_EVENTS:
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        services.payment_notified(
            provider="stripe", ref=obj["id"], key=str(metadata.get("venue_key", ""))
        )
    elif kind == "charge.refunded" and isinstance(obj.get("payment_intent"), str):
        services.payment_refunded_at_provider(
            provider="stripe", ref=obj["payment_intent"], fully=obj.get("refunded") is True
        )
    # Any other event: nothing to do (200, so Stripe stops sending it).


def _seen(key: str) -> bool:
    """A cheap skip of an event handled before. Correctness never depends on it."""
    try:
        return bool(cache.get(key))
    except Exception:  # the cache is down: handle the event again, harmlessly
        return False


def _remember(key: str) -> None:
    try:
        cache.set(key, 1, SEEN_SECONDS)
    except Exception:
        logger.info("stripe webhook: could not remember %s", key)
