"""Forms of the public pages; every error message says what to do."""

import uuid

from django import forms

from apps.bookings.payments import provider_names
from apps.catalog.models import EventType, category_validator

PAYMENT_TOKENS = [
    ("ok", "Test card: approved"),
    ("decline", "Test card: declined"),
    ("error", "Test card: provider does not answer"),
]
# Stripe's test PaymentMethods (https://docs.stripe.com/testing). A real checkout makes the
# PaymentMethod in the browser with Stripe.js (Elements), which this site does not load.
STRIPE_CARDS = [
    ("pm_card_visa", "Stripe test card: Visa, approved"),
    ("pm_card_authenticationRequired", "Stripe test card: asks for 3-D Secure"),
    ("pm_card_chargeDeclined", "Stripe test card: declined"),
]


class EventSearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=100, required=False)
    type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "All types"), *EventType.choices]
    )
    city = forms.ChoiceField(label="City", required=False, choices=[("", "All cities")])
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, cities: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", "All cities"), *((c, c) for c in cities)]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "Pick a date on or after the From date.")
        return data


class LoginForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class RegisterForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password",
        help_text="At least 10 characters; not only digits, not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class QuantityHoldForm(forms.Form):
    quantity = forms.IntegerField(label="Tickets", min_value=1, max_value=10, initial=2)


class TypedQuantitiesForm(forms.Form):
    """General admission with ticket types: `qty_<type code>` fields, 1 to 10 in all."""

    def clean(self):
        quantities = {}
        for name, value in self.data.items():
            if not name.startswith("qty_"):
                continue
            field = forms.IntegerField(min_value=0, max_value=10)
            code = name.removeprefix("qty_")
            try:
                category_validator(code)
                count = field.clean(value)
            except forms.ValidationError as exc:
                raise forms.ValidationError("Give each ticket type a number from 0 to 10.") from exc
            if count:
                quantities[code] = count
        if not 1 <= sum(quantities.values()) <= 10:
            raise forms.ValidationError("Choose between 1 and 10 tickets.")
        return {"quantities": quantities}


class PaymentForm(forms.Form):
    """The payment form: the test provider's cards, or Stripe's test cards when Stripe is
    configured (`method`). The idempotency key is made once per rendered form."""

    token = forms.ChoiceField(label="Card", choices=PAYMENT_TOKENS, initial="ok")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", str(uuid.uuid4()))
        super().__init__(*args, **kwargs)
        self.method = "stripe" if "stripe" in provider_names() else "test"
        if self.method == "stripe":
            self.fields["token"].choices = STRIPE_CARDS
            self.fields["token"].initial = STRIPE_CARDS[0][0]
