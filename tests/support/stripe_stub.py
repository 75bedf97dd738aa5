"""A local stand-in for Stripe's API, on a loopback port, speaking its documented shapes.

No network reaches Stripe from the tests, so `StripeStub` answers the calls
`apps.bookings.stripe_provider` makes, as https://docs.stripe.com/api describes them:
form-encoded bodies (`metadata[venue_key]=...`), `Authorization: Bearer sk_test_...`,
`Idempotency-Key` honoured (the same key and body replay the first answer, header
`Idempotent-Replayed: true`; the same key with another body is a 400
`idempotency_error`), JSON objects with `"object"` and ids `pi_...`, `re_...`, errors as
`{"error": {"type", "code", "decline_code", "message", "param"}}`.

- `POST /v1/payment_intents` (optionally `confirm=true`), `POST .../{id}/confirm`,
  `POST .../{id}/cancel`, `GET .../{id}`, `GET /v1/payment_intents/search`
  (`metadata['venue_key']:'<key>'`);
- `POST /v1/refunds` (`payment_intent`, `amount`: partial refunds; above what is left a
  400 `amount_too_large`, nothing left a 400 `charge_already_refunded`);
- test PaymentMethods: `pm_card_visa` succeeds, `pm_card_chargeDeclined` is a 402
  `card_declined`/`generic_decline`, `pm_card_authenticationRequired` (and
  `pm_card_threeDSecure2Required`) needs 3-D Secure: `requires_action` with
  `next_action.redirect_to_url` = `<stub>/3ds/<pi>` when a `return_url` was given;
  anything else is a 400 `resource_missing`;
- `GET /3ds/<pi>?outcome=approve|fail`, the bank's page: the intent succeeds (or fails
  with `payment_intent_authentication_failure`) and the browser is sent to `return_url`.

`calls` lists every request; `count(method, path)` counts them, `refunded(pi)` sums the
refunds of an intent. `outage = True` answers every API call 503 (a string: only the
calls whose path ends with it, e.g. `"/confirm"`), before doing anything. `signed(event)` makes
a webhook delivery signed like Stripe's (`Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256
of "<ts>.<payload>" under the endpoint secret>`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

API_KEY = "sk_test_venue_stub"
WEBHOOK_SECRET = "whsec_venue_stub"
SUCCEEDS = {"pm_card_visa", "pm_card_mastercard", "pm_card_visa_debit"}
DECLINES = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedFraudulent": "fraudulent",
}
NEEDS_3DS = {"pm_card_authenticationRequired", "pm_card_threeDSecure2Required"}


def decode(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding back into objects: `a[b]=1` and `a[0]=x` nest."""
    out: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key) or [key]
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node):
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [lists(node[k]) for k in sorted(node, key=int)]
            return {k: lists(v) for k, v in node.items()}
        return node

    return lists(out)


def _error(status: int, kind: str, message: str, **fields) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "message": message, **fields}}


class StripeStub:
    def __init__(self):
        self.intents: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.calls: list[tuple[str, str]] = []
        self.outage: bool | str = False
        self._replays: dict[str, tuple[str, int, dict]] = {}
        self._return_urls: dict[str, str | None] = {}
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> StripeStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what tests read

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.calls if m == method and p == path)

    def refunded(self, intent_id: str) -> int:
        return sum(r["amount"] for r in self.refunds if r["payment_intent"] == intent_id)

    def succeeded(self) -> list[dict]:
        return [i for i in self.intents.values() if i["status"] == "succeeded"]

    def approve(self, intent_id: str, approve: bool = True) -> None:
        """What the customer does on the bank's page (without a browser)."""
        with self._lock:
            self._authenticate(self.intents[intent_id], approve)

    def event(self, kind: str, obj: dict) -> dict:
        return {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
            "data": {"object": obj},
        }

    def intent_event(self, kind: str, intent_id: str) -> dict:
        return self.event(kind, json.loads(json.dumps(self.intents[intent_id])))

    @staticmethod
    def signed(event: dict, secret: str = WEBHOOK_SECRET, at: int | None = None):
        """(payload, Stripe-Signature header) of one delivery of `event`."""
        payload = json.dumps(event)
        stamp = int(time.time()) if at is None else at
        mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256)
        return payload, f"t={stamp},v1={mac.hexdigest()}"

    # --- the API

    def _intent(self, params: dict) -> dict:
        intent_id = f"pi_{secrets.token_hex(12)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "status": "requires_confirmation"
            if params.get("payment_method")
            else "requires_payment_method",
            "payment_method": params.get("payment_method"),
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "metadata": params.get("metadata", {}),
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "next_action": None,
            "last_payment_error": None,
            "latest_charge": None,
            "cancellation_reason": None,
            "created": int(time.time()),
            "livemode": False,
        }
        self.intents[intent_id] = intent
        return intent

    def _confirm(self, intent: dict, params: dict) -> tuple[int, dict]:
        if intent["status"] not in ("requires_confirmation", "requires_payment_method"):
            return _error(
                400, "invalid_request_error",
                f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.",
                code="payment_intent_unexpected_state", payment_intent=dict(intent),
            )  # fmt: skip
        method = params.get("payment_method") or intent["payment_method"]
        intent["payment_method"] = method
        if method in SUCCEEDS:
            self._succeed(intent)
        elif method in DECLINES:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error", "code": "card_declined",
                "decline_code": DECLINES[method], "message": "Your card was declined.",
            }  # fmt: skip
            return _error(
                402, "card_error", "Your card was declined.", code="card_declined",
                decline_code=DECLINES[method], payment_intent=dict(intent),
            )  # fmt: skip
        elif method in NEEDS_3DS:
            intent["status"] = "requires_action"
            return_url = params.get("return_url")
            self._return_urls[intent["id"]] = return_url
            intent["next_action"] = (
                {"type": "redirect_to_url", "redirect_to_url": {
                    "url": f"{self.url}/3ds/{intent['id']}", "return_url": return_url}}
                if return_url else {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            )  # fmt: skip
        else:
            return _error(
                400, "invalid_request_error", f"No such PaymentMethod: '{method}'",
                code="resource_missing", param="payment_method",
            )  # fmt: skip
        return 200, intent

    def _succeed(self, intent: dict) -> None:
        intent.update(
            status="succeeded", amount_received=intent["amount"], next_action=None,
            last_payment_error=None, latest_charge=f"ch_{secrets.token_hex(12)}",
        )  # fmt: skip

    def _authenticate(self, intent: dict, approve: bool) -> None:
        if intent["status"] != "requires_action":
            return
        if approve:
            self._succeed(intent)
        else:
            intent.update(
                status="requires_payment_method", next_action=None,
                last_payment_error={"type": "invalid_request_error",
                                    "code": "payment_intent_authentication_failure"},
            )  # fmt: skip

    def _refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return _error(400, "invalid_request_error", "No such payment_intent",
                          code="resource_missing", param="payment_intent")  # fmt: skip
        if intent["status"] != "succeeded":
            return _error(400, "invalid_request_error", "This PaymentIntent has no charge.",
                          code="payment_intent_unexpected_state")  # fmt: skip
        left = intent["amount_received"] - self.refunded(intent["id"])
        amount = int(params.get("amount", left))
        if left <= 0:
            return _error(400, "invalid_request_error", "Charge has already been refunded.",
                          code="charge_already_refunded")  # fmt: skip
        if amount > left or amount <= 0:
            return _error(400, "invalid_request_error",
                          f"Refund amount ({amount}) is greater than unrefunded amount ({left}).",
                          code="amount_too_large", param="amount")  # fmt: skip
        refund = {
            "id": f"re_{secrets.token_hex(12)}", "object": "refund", "amount": amount,
            "currency": intent["currency"], "payment_intent": intent["id"],
            "charge": intent["latest_charge"], "status": "succeeded",
            "created": int(time.time()),
        }  # fmt: skip
        self.refunds.append(refund)
        return 200, refund

    def _search(self, query: str) -> tuple[int, dict]:
        match = re.fullmatch(r"metadata\['(\w+)'\]:'([^']*)'", query.strip())
        if not match:
            return _error(400, "invalid_request_error", "Invalid search query", param="query")
        field, value = match.groups()
        data = [i for i in self.intents.values() if i["metadata"].get(field) == value]
        return 200, {"object": "search_result", "url": "/v1/payment_intents/search",
                     "has_more": False, "next_page": None, "data": data}  # fmt: skip

    def answer(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if path == "/v1/payment_intents" and method == "POST":
            card = params.get("payment_method")
            if card and card not in SUCCEEDS | set(DECLINES) | NEEDS_3DS:
                return _error(400, "invalid_request_error", f"No such PaymentMethod: '{card}'",
                              code="resource_missing", param="payment_method")  # fmt: skip
            intent = self._intent(params)
            if params.get("confirm") == "true":
                return self._confirm(intent, params)
            return 200, intent
        if path == "/v1/payment_intents/search" and method == "GET":
            return self._search(params.get("query", ""))
        if path == "/v1/refunds" and method == "POST":
            return self._refund(params)
        match = re.fullmatch(r"/v1/payment_intents/(pi_\w+)(/confirm|/cancel)?", path)
        intent = self.intents.get(match.group(1)) if match else None
        if intent is None:
            return _error(404, "invalid_request_error", f"Unrecognized request URL or no "
                          f"such object: {path}", code="resource_missing")  # fmt: skip
        action = match.group(2)
        if action == "/confirm" and method == "POST":
            return self._confirm(intent, params)
        if action == "/cancel" and method == "POST":
            if intent["status"] in ("succeeded", "canceled"):
                return _error(400, "invalid_request_error", f"You cannot cancel this "
                              f"PaymentIntent because it has a status of {intent['status']}.",
                              code="payment_intent_unexpected_state")  # fmt: skip
            intent.update(status="canceled", next_action=None,
                          cancellation_reason=params.get("cancellation_reason"))  # fmt: skip
            return 200, intent
        if action is None and method == "GET":
            return 200, intent
        return _error(404, "invalid_request_error", "Unrecognized request URL")

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: dict | None, headers: dict | None = None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str):
                url = urlsplit(self.path)
                stub.calls.append((method, url.path))
                if url.path.startswith("/3ds/"):
                    return self._bank(url)
                down = stub.outage
                if down is True or (isinstance(down, str) and down and url.path.endswith(down)):
                    return self._send(503, {"error": {"type": "api_error",
                                                      "message": "stub outage"}})  # fmt: skip
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    return self._send(*_error(401, "invalid_request_error",
                                              "Invalid API Key provided"))  # fmt: skip
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(raw if method == "POST" else url.query, keep_blank_values=True)
                params = decode(pairs)
                key = self.headers.get("Idempotency-Key") if method == "POST" else None
                with stub._lock:
                    if key and key in stub._replays:
                        body_seen, status, body = stub._replays[key]
                        if body_seen != f"{url.path}?{raw}":
                            return self._send(*_error(
                                400, "idempotency_error", "Keys for idempotent requests can "
                                "only be used with the same parameters they were first used "
                                "with.",
                            ))  # fmt: skip
                        return self._send(status, body, {"Idempotent-Replayed": "true"})
                    status, body = stub.answer(method, url.path, params)
                    body = json.loads(json.dumps(body))  # a snapshot, as sent
                    if key and status < 500:
                        stub._replays[key] = (f"{url.path}?{raw}", status, body)
                self._send(status, body)

            def _bank(self, url):
                intent = stub.intents.get(url.path.removeprefix("/3ds/"))
                if intent is None:
                    return self._send(404, None)
                outcome = dict(parse_qsl(url.query)).get("outcome", "approve")
                with stub._lock:
                    stub._authenticate(intent, outcome == "approve")
                back = stub._return_urls.get(intent["id"]) or "/"
                query = urlencode({"payment_intent": intent["id"],
                                   "payment_intent_client_secret": intent["client_secret"],
                                   "redirect_status": "succeeded" if intent["status"] ==
                                   "succeeded" else "failed"})  # fmt: skip
                sep = "&" if "?" in back else "?"
                self.send_response(302)
                self.send_header("Location", f"{back}{sep}{query}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler
