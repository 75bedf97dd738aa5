from django.contrib.auth.password_validation import get_default_password_validators
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import TeamMember, TeamRole, User
from apps.core import serializers as strict


def _new_password_schema() -> dict:
    """What a schema can say of AUTH_PASSWORD_VALIDATORS: the minimum length and "not all
    digits". Too common, or too like the email, is a 400 only the server can tell."""
    min_length = max([getattr(v, "min_length", 1) for v in get_default_password_validators()] + [1])
    return {
        "type": "string",
        "writeOnly": True,
        "minLength": min_length,
        "maxLength": 128,
        "pattern": "^[^\\x00]*[^0-9\\x00][^\\x00]*$",
    }


@extend_schema_field(_new_password_schema())
class NewPasswordField(strict.CharField):
    """A new password, checked by the services against AUTH_PASSWORD_VALIDATORS."""


class UserSerializer(serializers.ModelSerializer):
    email_verified = serializers.SerializerMethodField(
        help_text="Whether the owner proved `email` is theirs (the emailed link)."
    )
    pending_email = serializers.CharField(
        read_only=True, help_text="A new address waiting for its link to be opened; empty if none."
    )

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "email_verified", "pending_email"]
        read_only_fields = fields

    def get_email_verified(self, user) -> bool:
        return user.email_verified_at is not None


class RegisterSerializer(serializers.Serializer):
    email = strict.EmailField(max_length=254)
    password = NewPasswordField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = strict.CharField(max_length=150)


class LoginSerializer(serializers.Serializer):
    email = strict.EmailField(max_length=254)
    password = strict.CharField(max_length=128, write_only=True, trim_whitespace=False)


class PasswordResetSerializer(serializers.Serializer):
    email = strict.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = strict.CharField(max_length=64, help_text="From the emailed link.")
    token = strict.CharField(max_length=128, help_text="From the emailed link.")
    password = strict.CharField(max_length=128, write_only=True, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = strict.CharField(max_length=4096)


class TeamMemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "email", "full_name", "role", "added_at"]
        read_only_fields = fields


class TeamMemberInSerializer(serializers.Serializer):
    email = strict.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=TeamRole.choices)
