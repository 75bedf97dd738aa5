"""No business rule hides in a model signal.

Cross-app reactions are events that the services send (`apps.bookings.events`,
`apps.scheduling.signals`, `apps.catalog.signals`); a `pre_save`/`post_save`/
`post_delete` receiver would run for any save from anywhere, inside the saver's
transaction, and would be invisible from the service. This test lists every receiver
connected to a model signal for a VENUE model (or for every model) and checks it
against the allow-list below, each with its reason.
"""

from django.apps import apps
from django.db.models import signals

MODEL_SIGNALS = {
    "pre_init": signals.pre_init,
    "post_init": signals.post_init,
    "pre_save": signals.pre_save,
    "post_save": signals.post_save,
    "pre_delete": signals.pre_delete,
    "post_delete": signals.post_delete,
    "m2m_changed": signals.m2m_changed,
}

ALLOWED = {
    ("pre_save", "accounts.User", "apps.accounts.signals.remember_changes"): (
        "security audit: notes a role or password change by any writer, Django's own "
        "`changepassword` command and admin password form included"
    ),
    ("post_save", "accounts.User", "apps.accounts.signals.act_on_changes"): (
        "security audit: logs the change and revokes the user's refresh tokens after "
        "commit whenever a password changes, whoever changed it"
    ),
}


def _receivers():
    venue_models = {
        id(model): model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("apps.")
    }
    found = set()
    for name, signal in MODEL_SIGNALS.items():
        for (_receiver_key, sender_key), ref, *_ in signal.receivers:
            receiver = ref() if callable(ref) and not hasattr(ref, "__code__") else ref
            if receiver is None:
                continue
            path = f"{receiver.__module__}.{receiver.__qualname__}"
            label = venue_models.get(sender_key)
            if label is None and not (sender_key == id(None) and path.startswith("apps.")):
                continue  # Django's own receivers for its own models
            found.add((name, label or "any model", path))
    return found


def test_every_model_signal_receiver_is_allowed_with_a_reason():
    found = _receivers()
    unexpected = sorted(found - set(ALLOWED))
    assert not unexpected, f"model-signal receivers without a reason: {unexpected}"


def test_the_allow_list_is_not_stale():
    assert set(ALLOWED) <= _receivers()
