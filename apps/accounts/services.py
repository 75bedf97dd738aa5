"""Writes on users."""

from django.db import transaction

from .models import Role, User


@transaction.atomic
def user_ensure(*, email: str, password: str, full_name: str, role: str = Role.CUSTOMER) -> User:
    """Create the user if missing, else bring name, role and password to the given values."""
    email = User.objects.normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(email, password, full_name=full_name, role=role)
    user.full_name, user.role = full_name, role
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    return user
