"""Users: email as the login, a full name and one role."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    ORGANIZER = "organizer", "Organizer"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Lower-case the whole address: one person, one account, whatever the case."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(email=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log into the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # When the owner proved the address is theirs (the emailed link); None: not yet.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # A new address asked for, which takes effect once its link is opened.
    pending_email = models.EmailField(blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    # Where a deleted account's address goes (`accounts.privacy`): never delivered.
    ERASED_DOMAIN = "deleted.invalid"

    @property
    def erased(self) -> bool:
        """Deleted by its owner: no personal data left (the organizers' books say so)."""
        return not self.is_active and self.email.endswith("@" + self.ERASED_DOMAIN)

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_email(self.email)


class TeamRole(models.TextChoices):
    MANAGER = "manager", "Manager: everything the organizer does except the team"
    SCANNER = "scanner", "Scanner: scans tickets and reads check-in figures"


class TeamMember(models.Model):
    """A user who works for an organizer: a manager or a door scanner.

    One team per user: a member acts for exactly one organizer, so whatever a manager
    creates belongs to that organizer without asking which.
    """

    organizer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=TeamRole.choices)
    added_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organizer_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(organizer=models.F("user")), name="accounts_team_not_self"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=TeamRole.values), name="accounts_team_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} for {self.organizer})"
