from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
        for user in queryset.exclude(pk=request.user.pk):
            user.is_active = False
            user.save(update_fields=["is_active"])

    @admin.action(description="Activate selected users")
    def activate(self, request, queryset):
        queryset.update(is_active=True)
