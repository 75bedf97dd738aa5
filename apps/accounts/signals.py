"""Audit role changes and revoke every refresh token when a password changes."""

import logging

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .audit import audit
from .models import User


@receiver(pre_save, sender=User)
def remember_changes(sender, instance: User, **kwargs):
    instance._role_changed_from = None
    instance._password_changed = False
    if instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("role", "password").first()
    if before is None:
        return
    if before["role"] != instance.role:
        instance._role_changed_from = before["role"]
    instance._password_changed = before["password"] != instance.password


@receiver(post_save, sender=User)
def act_on_changes(sender, instance: User, created: bool, **kwargs):
    if getattr(instance, "_role_changed_from", None):
        audit(
            "role_changed",
            target_user_id=instance.pk,
            old_role=instance._role_changed_from,
            new_role=instance.role,
            level=logging.WARNING,
        )
    if getattr(instance, "_password_changed", False):
        from .services import tokens_revoke_all

        transaction.on_commit(lambda: tokens_revoke_all(user=instance))
        audit("password_changed", target_user_id=instance.pk)
