"""Outstanding refresh tokens are kept as a SHA-256 of the token (apps/accounts/tokens.py):
hash the rows written in clear before."""

import hashlib

from django.db import migrations

BATCH = 1000


def _is_digest(value):
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def hash_tokens(apps, schema_editor):
    outstanding = apps.get_model("token_blacklist", "OutstandingToken")
    changed = []
    for row in outstanding.objects.only("id", "token").iterator(chunk_size=BATCH):
        if not _is_digest(row.token):
            row.token = hashlib.sha256(row.token.encode()).hexdigest()
            changed.append(row)
        if len(changed) >= BATCH:
            outstanding.objects.bulk_update(changed, ["token"])
            changed = []
    if changed:
        outstanding.objects.bulk_update(changed, ["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_operator_groups_least_privilege"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]
    # A digest cannot be turned back into a token: going back leaves the digests.
    operations = [migrations.RunPython(hash_tokens, migrations.RunPython.noop)]
