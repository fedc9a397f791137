"""Funding-bucket payers come from a list (national, prefecture, ward) instead of free text.

Existing versions are rewritten: the national bucket's payer becomes ``national``; a payer
that names the prefecture (``tokyo``, a misspelt ``tokio``, ``東京都``, the municipality's own
prefecture name with or without 都/道/府/県, ``pref``...) becomes ``prefecture``; anything
else was the ward's own money and becomes ``ward``. Nothing else in a version changes.
"""

from django.db import migrations

PREFECTURE_WORDS = {"prefecture", "pref", "tokyo", "tokio", "tokyo-to", "tokyoto", "都", "東京都"}


def payer_from_text(text: str, national: bool, prefecture: str) -> str:
    if national:
        return "national"
    word = (text or "").strip().lower()
    names = {prefecture, prefecture.rstrip("都道府県")} - {""}
    if word in PREFECTURE_WORDS or word in names or word.startswith("pref"):
        return "prefecture"
    return "ward"


def forwards(apps, schema_editor):
    MunicipalPolicy = apps.get_model("municipalities", "MunicipalPolicy")
    for row in MunicipalPolicy.objects.select_related("municipality").order_by("pk"):
        buckets = [
            b | {"payer": payer_from_text(b.get("payer", ""), bool(b.get("national")),
                                          row.municipality.prefecture)}
            for b in row.buckets
        ]  # fmt: skip
        if buckets != row.buckets:
            MunicipalPolicy.objects.filter(pk=row.pk).update(buckets=buckets)


class Migration(migrations.Migration):
    dependencies = [("municipalities", "0003_notice_signature_and_contact")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
