# The table and indexes registration made for the one-time codes take codes' names
# (ALTER TABLE/INDEX ... RENAME on PostgreSQL; SQLite renames the table and rebuilds the
# indexes). The rows stay. The primary key and check constraints keep their old names, which
# Django never looks up by name.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("codes", "0001_initial"),
        ("registration", "0002_move_onetimecode_to_codes"),
    ]

    operations = [
        migrations.AlterModelTable(name="onetimecode", table=None),
        migrations.RenameIndex(
            model_name="onetimecode",
            new_name="codes_oneti_subject_e8fb4f_idx",
            old_name="registratio_subject_a2ed54_idx",
        ),
        migrations.RenameIndex(
            model_name="onetimecode",
            new_name="codes_oneti_ip_253eb0_idx",
            old_name="registratio_ip_216ba4_idx",
        ),
    ]
