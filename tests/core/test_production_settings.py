"""Production settings: refuse weak secrets, pass `check --deploy`, use S3 when configured."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_ENV = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "settings.production",
    "DJANGO_SECRET_KEY": "p" * 20 + "roduction-secret-key-for-the-settings-test-only-0123456789",
    "DJANGO_ALLOWED_HOSTS": "reelhouse.example",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**BASE_ENV, **env}
    )


def test_production_refuses_a_missing_secret_key():
    result = run("import django; django.setup()", DJANGO_SECRET_KEY="")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_check_deploy_is_clean():
    result = run(
        "import django, sys; django.setup(); from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )

    assert result.returncode == 0, result.stderr


def test_media_goes_to_s3_when_a_bucket_is_configured():
    code = "import django; django.setup(); from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"

    with_bucket = run(code, AWS_STORAGE_BUCKET_NAME="reelhouse-media", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000")
    without = run(code)

    assert with_bucket.stdout.strip() == "storages.backends.s3.S3Storage"
    assert without.stdout.strip() == "django.core.files.storage.FileSystemStorage"
