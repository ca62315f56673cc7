"""A40.7: the analysis of the documents the SEN applicant submitted, with the trial."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sen', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='trial',
            name='documents_analysis',
            field=models.TextField(blank=True, verbose_name='analysis of the submitted documents'),
        ),
    ]
