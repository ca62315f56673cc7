"""Signing keys stored before they were sealed are encrypted at rest (issue 11, point 6)."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from kari.certification.issuing import SEALED, seal

    SigningKey = apps.get_model("certification", "SigningKey")
    for key in SigningKey.objects.all():
        blob = bytes(key.private_pem)
        if not blob.startswith(SEALED):
            key.private_pem = seal(blob)
            key.save(update_fields=["private_pem"])


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_initial")]
    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
