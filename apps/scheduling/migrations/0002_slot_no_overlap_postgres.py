"""Two live slots of one screen never overlap: an exclusion constraint, on PostgreSQL only.

SQLite has no exclusion constraints, so this constraint is not part of the model
state (the model and `makemigrations` never see it) and the operation does
nothing on other databases; there `services.slot_create` checks overlaps under a
lock on the screen, which SQLite's single writer makes sufficient.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models
from django.db.models import Func, Q


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


NO_OVERLAP = ExclusionConstraint(
    name="scheduling_slot_no_overlap",
    expressions=[
        ("screen", RangeOperators.EQUAL),
        (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
    ],
    condition=~Q(status="cancelled"),
)


class AddConstraintOnPostgres(migrations.AddConstraint):
    """Add a constraint on PostgreSQL only, outside the migration state."""

    reduces_to_sql = False

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_constraint(model, self.constraint)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_constraint(model, self.constraint)

    def describe(self):
        return f"Add PostgreSQL-only constraint {self.constraint.name} on {self.model_name}"


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        AddConstraintOnPostgres(model_name="slot", constraint=NO_OVERLAP),
    ]
