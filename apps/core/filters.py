"""django-filter fields shared by the API's filter sets."""

import django_filters
from django import forms


class IdFilter(django_filters.NumberFilter):
    """An object id (a whole number from 1); an id that matches nothing filters to nothing."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)
