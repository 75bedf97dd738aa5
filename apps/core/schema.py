"""The OpenAPI schema of every API view, made honest about what the view answers.

drf-spectacular describes the success responses it can infer. `VenueAutoSchema` adds:

- every error status each operation can answer, with the API's error shape
  (`{"error": {"code", "message", "details", "request_id"}}`, the `Error` component):
  400 where the request carries anything to validate, 401 where credentials are read,
  403 where a permission or the CSRF check can refuse, 404 where the path names an
  object (or a page), 415 where there is a body, and on every operation 429
  (rate limited) and 503 (database unavailable), both with `Retry-After`;
  status codes a view declares itself (`OpenApiResponse(description=...)`, e.g. a 409 of
  its service) get the error shape too;
- `oneOf` the fields a serializer takes exactly one of (`one_of_fields`);
- anonymous access (`{}` among the security alternatives) wherever the view's
  permissions let an anonymous request through, e.g. public reads;
- the bounds the server enforces: `minimum: 1` on integer ids (path, query filters and
  object references in bodies), the limits of django-filter fields, times as
  `HH:MM[:SS]`, decimals as the digits they may have, a time zone as one of the IANA
  names, text that must not be blank (or carry a NUL character) as such;
  filters take an empty value (`?city=`) as no filter, so they say `allowEmptyValue`.
"""

import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core import validators as django_validators
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated

from apps.core.validators import validate_timezone

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable `code` to branch on, a message for people.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Per-field messages of a validation error, or more facts.",
                },
                "request_id": {
                    "type": "string",
                    "nullable": True,
                    "description": "Quote it when asking for help (also in `X-Request-ID`).",
                },
            },
            "required": ["code", "message", "details", "request_id"],
        }
    },
    "required": ["error"],
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before trying again.",
        "required": True,
    }
}
DEFAULT_DESCRIPTIONS = {
    "400": "`validation_error` (`details` has a message per field), `malformed_request`, "
    "or another refusal of this request named by `code`.",
    "401": "`not_authenticated`, or `authentication_failed`: the Bearer token or the "
    "credentials are not valid (also where anonymous access is allowed).",
    "403": "`permission_denied` (this role may not do it), or `csrf_failed` (a cookie "
    "request without the X-CSRFToken header).",
    "404": "`not_found`: no such object visible to you (or no such page).",
    "409": "The request conflicts with the current state; `code` says how.",
    "413": "`image_too_large` or another upload over its size limit.",
    "415": "`unsupported_media_type`: send the body in a content type listed here.",
    "429": "`rate_limited` (or `account_locked` on login): try again after `Retry-After` seconds.",
    "503": "`service_unavailable`: the database did not answer; try again after "
    "`Retry-After` seconds.",
}
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
# DRF's CharField refuses NUL characters and (trimming) text that is only blanks.
NO_NUL = "^[^\\x00]+$"
NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"


def _allows_anonymous(view, method: str) -> bool:
    """Whether every permission of `view` lets an anonymous `method` request through."""
    request = SimpleNamespace(method=method, user=AnonymousUser(), auth=None)
    try:
        return all(p.has_permission(request, view) for p in view.get_permissions())
    except Exception:  # a permission that needs more of the request: assume it refuses
        return False


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """The decimal strings `field` takes: a sign only if negatives are allowed, at most
    `max_digits` digits of which `decimal_places` after the point."""
    places = field.decimal_places
    whole = field.max_digits - places if field.max_digits is not None else None
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    whole_digits = f"[0-9]{{1,{whole}}}" if whole else "0"
    fraction = f"(\\.[0-9]{{1,{places}}})?" if places else ""
    return f"^{sign}{whole_digits}{fraction}$"


def _timezone_schema(field) -> dict | None:
    if validate_timezone in getattr(field, "validators", []):
        return {"enum": sorted(zoneinfo.available_timezones())}
    return None


class VenueAutoSchema(AutoSchema):
    def get_auth(self) -> list[dict]:
        auths = [a for a in super().get_auth() if a != {}]
        if _allows_anonymous(self.view, self.method):
            auths.append({})
        return auths

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField):
            schema = {"type": "string", "pattern": TIME_PATTERN, "example": "18:30"}
            if field.allow_null:
                schema["nullable"] = True
            return schema
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or field.read_only:
            return schema
        if isinstance(field, serializers.ListSerializer | serializers.ListField):
            array = schema if schema.get("type") == "array" else {}
            if array and not field.allow_empty:
                array.setdefault("minItems", 1)
            for attribute, keyword in (("min_length", "minItems"), ("max_length", "maxItems")):
                if array and getattr(field, attribute, None) is not None:
                    array.setdefault(keyword, getattr(field, attribute))
        elif isinstance(field, serializers.FileField) and not field.allow_empty_file:
            schema.setdefault("minLength", 1)  # an empty file is refused
        elif isinstance(field, serializers.PrimaryKeyRelatedField) and schema.get("type") in (
            "integer",
            None,
        ):
            schema.setdefault("minimum", 1)
        elif isinstance(field, serializers.DecimalField):
            schema["pattern"] = _decimal_pattern(field)
        elif isinstance(field, serializers.CharField) and schema.get("type") == "string":
            timezone = _timezone_schema(field)
            if timezone:
                schema.update(timezone)
                schema.pop("minLength", None)
                schema.pop("maxLength", None)
            elif not {"pattern", "format", "enum", "oneOf", "allOf"} & set(schema) and not any(
                isinstance(v, django_validators.RegexValidator) for v in field.validators
            ):
                # A blank value that the field allows is the `maxLength: 0` alternative
                # drf-spectacular adds next to a pattern.
                blank_ok = field.allow_blank or not field.trim_whitespace
                schema["pattern"] = NO_NUL if blank_ok else NOT_BLANK
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        one_of = getattr(serializer, "one_of_fields", None)
        if one_of and direction == "request":
            # Exactly one of these fields (the serializer refuses both or neither).
            schema["oneOf"] = [{"required": [name]} for name in one_of]
        return schema

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filters = self._filterset_filters()
        for parameter in parameters:
            filter_field = filters.get(parameter["name"])
            if filter_field is None:
                continue
            # django-filter takes `?name=` as no filter at all.
            parameter["allowEmptyValue"] = True
            self._add_form_field_bounds(parameter["schema"], filter_field.field)
        return parameters

    def _filterset_filters(self) -> dict:
        filterset_class = getattr(self.view, "filterset_class", None)
        return dict(filterset_class.base_filters) if filterset_class else {}

    @staticmethod
    def _add_form_field_bounds(schema: dict, form_field) -> None:
        """The limits the filter's form field checks, in the parameter's schema."""
        if isinstance(form_field, forms.IntegerField) and schema.get("type") == "number":
            schema["type"] = "integer"
        for attribute, keyword in (("min_value", "minimum"), ("max_value", "maximum")):
            value = getattr(form_field, attribute, None)
            if value is not None and schema.get("type") in ("integer", "number"):
                schema.setdefault(keyword, int(value) if isinstance(value, Decimal) else value)
        for attribute, keyword in (("min_length", "minLength"), ("max_length", "maxLength")):
            value = getattr(form_field, attribute, None)
            if value is not None and schema.get("type") == "string":
                schema.setdefault(keyword, value)
        if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
            # Django's form CharField refuses NUL; a blank value (stripped) is no filter.
            schema["pattern"] = "^[^\\x00]*$"
        for validator in getattr(form_field, "validators", []):
            if (
                isinstance(validator, django_validators.RegexValidator)
                and not validator.inverse_match
            ):
                schema.setdefault("pattern", validator.regex.pattern)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                if parameter["schema"] == {"type": "string", "pattern": r"^[0-9]+$"}:
                    # A viewset's `lookup_value_regex` of digits: an id, whatever the regex.
                    parameter["schema"] = {"type": "integer"}
                if parameter["schema"].get("type") == "integer":
                    parameter["schema"].setdefault("minimum", 1)  # ids start at 1
            self._add_error_responses(operation)
        return operation

    def _error_ref(self) -> dict:
        component = ResolvedComponent(
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            object=ERROR_COMPONENT,
            schema=ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_statuses(self, operation: dict) -> set[str]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        authenticators = self.view.get_authenticators()
        anonymous_ok = _allows_anonymous(self.view, self.method)
        statuses = {"429", "503"}
        if has_body or any(p["in"] in ("query", "header") for p in parameters):
            statuses.add("400")
        if has_body:
            statuses.add("415")
        if authenticators:
            statuses.add("401")  # a Bearer token that is not valid is refused everywhere
        unsafe = self.method not in SAFE_METHODS
        only_sign_in = all(isinstance(p, IsAuthenticated) for p in self.view.get_permissions())
        if (authenticators and unsafe) or not (anonymous_ok or only_sign_in):
            statuses.add("403")  # the CSRF check of cookie requests, or a role check
        if any(p["in"] == "path" for p in parameters) or any(
            p["in"] == "query" and p["name"] == "page" for p in parameters
        ):
            statuses.add("404")
        return statuses

    def _add_error_responses(self, operation: dict) -> None:
        responses = operation.setdefault("responses", {})
        error = self._error_ref()
        for status in self._error_statuses(operation):
            responses.setdefault(status, {"description": DEFAULT_DESCRIPTIONS[status]})
        for status, response in responses.items():
            if not status.startswith(("4", "5")):
                continue
            if not response.get("description"):
                response["description"] = DEFAULT_DESCRIPTIONS.get(status, "")
            response.setdefault("content", {"application/json": {"schema": error}})
            if status in ("429", "503"):
                response.setdefault("headers", {}).update(RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
