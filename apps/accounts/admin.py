from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.admin import sensitive_post_parameters_m
from django.contrib.auth.forms import AdminPasswordChangeForm

from apps.core.exceptions import ApplicationError

from . import services
from .adminsite import ServiceWrites
from .models import User


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form, saving through `user_password_set`."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        return services.user_password_set(user=self.user, password=password)


@admin.register(User)
class UserAdmin(ServiceWrites, BaseUserAdmin):
    """Accounts, for admins only (organizers do not see this page). Django's user forms
    validate; `accounts.services` writes (`user_create`, `user_update`,
    `user_password_set`). Accounts are deactivated, not deleted: their bookings stay in
    the organizers' books."""

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

    change_password_form = ServicePasswordChangeForm

    def service_save(self, request, obj, form, change: bool):
        if not change:
            usable = form.cleaned_data.get("usable_password", True)
            return services.user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data.get("password1") if usable else None,
                full_name=form.cleaned_data.get("full_name", ""),
                role=form.cleaned_data["role"],
            )
        fields = self.changed_fields(form)
        fields.pop("groups", None)  # many-to-many: saved with the form's m2m (save_related)
        fields.pop("password", None)  # read-only here: the "change password" form sets it
        current = User.objects.get(pk=obj.pk)
        return services.user_update(user=current, by=request.user, **fields)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Django's UserAdmin wraps adding in a transaction; the service owns its own.
    @sensitive_post_parameters_m
    @csrf_protect_m
    def add_view(self, request, form_url="", extra_context=None):
        try:
            return self._add_view(request, form_url, extra_context)
        except ApplicationError as exc:
            return self._refused(request, exc)

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
