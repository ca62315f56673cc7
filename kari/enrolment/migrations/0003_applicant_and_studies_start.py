"""A41: an SEN enrolment hangs on the minister's act's placement, not on a general
registration: the enrolment names its applicant, and the registration is only for placements
of the ranking document. A41.2: the day studies begin, with the programme's terms."""

import django.db.models.deletion
from django.db import migrations, models


def fill_applicant(apps, schema_editor):
    Enrolment = apps.get_model("enrolment", "Enrolment")
    for e in Enrolment.objects.select_related("registration").only(
        "pk", "registration__applicant_id"
    ):
        Enrolment.objects.filter(pk=e.pk).update(applicant_id=e.registration.applicant_id)


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0002_sen_placement"),
        ("registration", "0004_requirements_and_basic_education"),
    ]

    operations = [
        migrations.AddField(
            model_name="programmeterms",
            name="studies_start",
            field=models.DateField(blank=True, null=True, verbose_name="studies start"),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="applicant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="enrolments",
                to="registration.applicant",
            ),
        ),
        migrations.RunPython(fill_applicant, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="enrolment",
            name="applicant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="enrolments",
                to="registration.applicant",
            ),
        ),
        migrations.AlterField(
            model_name="enrolment",
            name="registration",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="enrolments",
                to="registration.registration",
            ),
        ),
        migrations.AlterModelOptions(
            name="enrolment",
            options={
                "ordering": ["programme__code", "applicant__last_name_ka"],
                "verbose_name": "enrolment",
            },
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.CheckConstraint(
                condition=models.Q(("registration__isnull", False))
                | models.Q(("sen_placement__isnull", False)),
                name="enrolment_from_ranking_or_sen_act",
            ),
        ),
    ]
