"""Asynchronous entry points of accounts: each takes plain values and calls one service."""

from celery import shared_task

from . import recovery


@shared_task(name="accounts.send_password_reset")
def send_password_reset(email: str, base_url: str) -> bool:
    return recovery.password_reset_send(email=email, base_url=base_url)
