# OneTimeCode moved to kari.codes (codes 0001 takes it over on the same table): drop it from
# registration's state only; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0001_initial"),
        ("codes", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OneTimeCode")],
            database_operations=[],
        ),
    ]
