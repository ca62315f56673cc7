# The one-time codes move from kari.registration to kari.codes without losing a row: this
# migration only takes the model over in Django's state, on the table registration made
# (registration 0002 drops it from registration's state); 0002 then renames the table and
# its indexes to codes' names.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("registration", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OneTimeCode",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("purpose", models.CharField(max_length=20)),
                        ("subject", models.CharField(max_length=64)),
                        ("code_hash", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("payload", models.JSONField(default=dict)),
                    ],
                    options={
                        "db_table": "registration_onetimecode",
                        "indexes": [
                            models.Index(
                                fields=["subject", "created_at"],
                                name="registratio_subject_a2ed54_idx",
                            ),
                            models.Index(
                                fields=["ip", "created_at"], name="registratio_ip_216ba4_idx"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
