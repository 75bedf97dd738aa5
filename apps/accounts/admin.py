from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.core.exceptions import ApplicationError

from . import services
from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts, for admins only (organizers do not see this page). Adding and editing use
    Django's user forms; the role and password audits run for any save of a user."""

    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["date_joined", "last_login"]
    actions = ["deactivate", "activate"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "role"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "password1", "password2"],
            },
        ),
    ]

    @admin.action(description="Deactivate selected users (effective on their next request)")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description="Activate selected users")
    def activate(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        changed = 0
        for user in queryset:
            try:
                changed += services.user_set_active(user=user, active=active, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{changed} user(s) changed.", messages.SUCCESS)
