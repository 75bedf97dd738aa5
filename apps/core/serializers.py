"""Input fields that take JSON as the schema describes it.

DRF's `BooleanField` takes 0, 1, "yes" and "on" for booleans, and its `CharField` also
takes a number and turns it into text (`"title": 0` is saved as
"0"), which the OpenAPI schema (`type: string`) calls invalid; and it checks
`max_length` after trimming blanks, where the schema's `maxLength` counts what was sent.
The API's input serializers use these fields instead, so either is a 400 like any other
invalid field. Form and multipart bodies carry text only, and are not affected.
"""

from django.db import models
from rest_framework import serializers


class _TextOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # `maxLength` counts what was sent, not what is left once blanks are trimmed.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class CharField(_TextOnly, serializers.CharField):
    pass


class RegexField(_TextOnly, serializers.RegexField):
    """The regex checks the value as sent (the schema's `pattern`), blanks and all."""

    def __init__(self, regex, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(regex, **kwargs)


class EmailField(_TextOnly, serializers.EmailField):
    pass


class BooleanField(serializers.BooleanField):
    """JSON true or false only: no 0/1 or "yes" (the schema says boolean)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class DecimalField(serializers.DecimalField):
    """Money and rates as decimal strings only, as the schema says (`"9.50"`, not 9.5:
    a JSON number may already have lost cents on its way)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    # Text model fields take text only. (No docstring: the schema would show it as the
    # description of every serializer without one of its own.)
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.EmailField: EmailField,
        models.BooleanField: BooleanField,
        models.DecimalField: DecimalField,
    }
