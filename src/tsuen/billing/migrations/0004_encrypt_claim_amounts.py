"""Issue 9 item 5: no claim amount that reveals an adder or a fee class stays in a clear column.

* ``ClaimLine.bucket_shares`` (the adders per payer) and ``reduction_reimbursed`` (follows
  from the fee class), ``Claim.total_benefit`` and ``total_reduction_reimbursed`` become
  encrypted columns; every existing row is encrypted here, in batches.
* ``ClaimLine.total`` and ``fee_net`` are dropped: they follow from the other columns
  (``ClaimLine.total`` and ``ClaimLine.fee_net`` are now properties) and would reveal the
  adders and the fee class.

The clear columns are renamed first, the encrypted ones added under the final names (the
associated data of a ciphertext is ``billing.Model.field``, so the final name must be the one
written under), filled, and the clear ones dropped. Reversible.
"""

from django.db import migrations, models

import tsuen.privacy.fields

BATCH = 500

#: model -> [(clear column, encrypted column)]
COLUMNS = {
    "Claim": [
        ("total_benefit_clear", "total_benefit"),
        ("total_reduction_reimbursed_clear", "total_reduction_reimbursed"),
    ],
    "ClaimLine": [
        ("bucket_shares_clear", "bucket_shares"),
        ("reduction_reimbursed_clear", "reduction_reimbursed"),
    ],
}


def _copy(apps, schema_editor, *, encrypt: bool) -> None:
    db = schema_editor.connection.alias
    for name, pairs in COLUMNS.items():
        model = apps.get_model("billing", name)
        moves = pairs if encrypt else [(target, source) for source, target in pairs]
        written = [write for _read, write in moves]
        recompute = name == "ClaimLine" and not encrypt
        if recompute:  # the dropped columns, from the others
            written += ["total", "fee_net"]
        manager = model._base_manager.using(db)
        batch = []
        for row in manager.order_by("pk").iterator(chunk_size=BATCH):
            for read, write in moves:
                setattr(row, write, getattr(row, read))
            if recompute:
                shares = row.bucket_shares_clear
                benefit = sum(s["base"] + s["adders"] + s["first_visit"] for s in shares)
                row.total = benefit + row.reduction_reimbursed_clear
                row.fee_net = row.fee_gross - row.reduction_reimbursed_clear
            batch.append(row)
            if len(batch) == BATCH:
                manager.bulk_update(batch, written)
                batch = []
        if batch:
            manager.bulk_update(batch, written)


def encrypt(apps, schema_editor):
    _copy(apps, schema_editor, encrypt=True)


def decrypt(apps, schema_editor):
    _copy(apps, schema_editor, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_claim_query"),
    ]

    operations = [
        *(
            migrations.RenameField(model_name=model.lower(), old_name=target, new_name=source)
            for model, pairs in COLUMNS.items()
            for source, target in pairs
        ),
        migrations.AddField(
            model_name="claim",
            name="total_benefit",
            field=tsuen.privacy.fields.EncryptedIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="claim",
            name="total_reduction_reimbursed",
            field=tsuen.privacy.fields.EncryptedIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="claimline",
            name="bucket_shares",
            field=tsuen.privacy.fields.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="claimline",
            name="reduction_reimbursed",
            field=tsuen.privacy.fields.EncryptedIntegerField(null=True),
        ),
        migrations.RunPython(encrypt, decrypt),
        *(
            migrations.RemoveField(model_name=model.lower(), name=source)
            for model, pairs in COLUMNS.items()
            for source, _target in pairs
        ),
        migrations.RemoveField(model_name="claimline", name="total"),
        migrations.RemoveField(model_name="claimline", name="fee_net"),
        migrations.AlterField(
            model_name="claim",
            name="total_benefit",
            field=tsuen.privacy.fields.EncryptedIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="claim",
            name="total_reduction_reimbursed",
            field=tsuen.privacy.fields.EncryptedIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="claimline",
            name="bucket_shares",
            field=tsuen.privacy.fields.EncryptedJSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="claimline",
            name="reduction_reimbursed",
            field=tsuen.privacy.fields.EncryptedIntegerField(default=0),
        ),
    ]
