"""Dead letters get a unique key (idempotent writes), a kind (event, batch entry, task) and what a
replay needs (a batch's statuses, a task's name). Existing letters get a key of their own."""

from django.db import migrations, models


def key_existing(apps, schema_editor):
    DeadLetter = apps.get_model("engagement", "DeadLetter")
    for letter in DeadLetter.objects.filter(key__isnull=True).only("pk"):
        DeadLetter.objects.filter(pk=letter.pk).update(key=f"legacy:{letter.pk}")


class Migration(migrations.Migration):
    dependencies = [("engagement", "0002_deadletter")]

    operations = [
        migrations.AddField(
            model_name="deadletter",
            name="key",
            field=models.CharField(max_length=128, null=True),
        ),
        migrations.RunPython(key_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deadletter",
            name="key",
            field=models.CharField(max_length=128, unique=True),
        ),
        migrations.AddField(
            model_name="deadletter",
            name="kind",
            field=models.CharField(
                choices=[
                    ("event", "Engagement event (stream field e)"),
                    ("batch", "Engagement batch entry (stream fields p and m)"),
                    ("task", "Celery task"),
                ],
                default="event",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="deadletter",
            name="statuses",
            field=models.TextField(blank=True, help_text="A batch entry's statuses (stream field m)."),
        ),
        migrations.AddField(
            model_name="deadletter",
            name="task_name",
            field=models.CharField(blank=True, max_length=128),
        ),
        migrations.AlterField(
            model_name="deadletter",
            name="stream_id",
            field=models.CharField(blank=True, help_text="Stream entry id, or the task id.", max_length=40),
        ),
    ]
