"""A41.1: the head's act fixing the SEN documents' deadline, its number and date, stamped late
after the 5 days (not refused)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0006_merge_adjustments_and_rule_fixes'),
        ('enrolment', '0003_applicant_and_studies_start'),
        ('sen', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SenTermsAct',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=40, verbose_name="head's act number")),
                ('issued_on', models.DateField(verbose_name="head's act date")),
                ('fixed_at', models.DateTimeField(verbose_name='fixed')),
                ('late', models.BooleanField(default=False, verbose_name='after the 5 days')),
                ('act', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sen.act')),
                ('programme', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.programme')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('act', 'programme'), name='sen_terms_act_once')],
            },
        ),
    ]
