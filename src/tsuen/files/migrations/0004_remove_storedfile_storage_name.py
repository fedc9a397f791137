from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('files', '0003_move_files_into_database'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='storedfile',
            name='storage_name',
        ),
    ]
