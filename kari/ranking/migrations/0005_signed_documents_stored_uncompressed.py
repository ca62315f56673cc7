"""PostgreSQL: the signed documents' content is stored out of line without compression.

PDFs and XLSX files are already compressed; PostgreSQL's default storage tries pglz on every
one anyway, which took about 3 s of the server's CPU for a national ranking's 90 MB (2,002
documents) and gained nothing."""

from django.db import migrations


def _storage(kind):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE ranking_signeddocument ALTER COLUMN content SET STORAGE {kind}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("ranking", "0004_publication_cutoffs_subsequent")]
    operations = [migrations.RunPython(_storage("EXTERNAL"), _storage("EXTENDED"))]
