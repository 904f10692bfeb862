"""Settings come from environment variables only; production mode is hardened."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    """Evaluate `expression` against config.settings imported under exactly `env`."""
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    clean.update(env)
    clean["SOURCEWISE_VAR_DIR"] = env.get("SOURCEWISE_VAR_DIR", str(ROOT / "var" / "test-settings"))
    code = f"import config.settings as s; print(({expression}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_embedded_defaults_need_no_services():
    out = _settings_in_subprocess(
        {},
        "s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, s.EMAIL_BACKEND, "
        "s.CACHES['default']['BACKEND']",
    )
    assert "sqlite3" in out
    assert "filesystem://" in out
    assert "django-db" in out
    assert "console.EmailBackend" in out
    assert "FileBasedCache" in out


def test_database_and_redis_urls_switch_to_postgres_and_redis():
    out = _settings_in_subprocess(
        {
            "DATABASE_URL": "postgres://app@db.internal:5432/sourcewise",
            "REDIS_URL": "redis://cache.internal:6379/0",
        },
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], 'pool' in s.DATABASES['default']['OPTIONS']",
    )
    assert out == (
        "('core.postgresql', 'db.internal', 'redis://cache.internal:6379/0', 'core.cache.RedisCache', True)"
    )


def test_production_mode_requires_a_secret_key():
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    clean.update({"DEBUG": "False", "SOURCEWISE_VAR_DIR": str(ROOT / "var" / "test-settings")})
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mode_turns_on_the_hardening():
    out = _settings_in_subprocess(
        {"DEBUG": "False", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "sourcewise.example.com"},
        "s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS",
    )
    assert out == "(False, True, True, True, True, ['sourcewise.example.com'])"


def test_email_url_configures_smtp():
    out = _settings_in_subprocess(
        {"EMAIL_URL": "smtp://mailer:secret@smtp.internal:587"},
        "s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT",
    )
    assert out == "('django.core.mail.backends.smtp.EmailBackend', 'smtp.internal', 587)"


def test_production_hasher_is_argon2():
    assert settings.PASSWORD_HASHERS is not None
    import config.settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.postgres
def test_suite_runs_on_postgresql_when_configured():
    assert connection.vendor == "postgresql"


@pytest.mark.redis
def test_cache_is_redis_when_configured():
    from django.core.cache import cache

    cache.set("ci-probe", "ok", 5)
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert cache.get("ci-probe") == "ok"


def test_gunicorn_workers_exempt_their_startup_objects_from_the_collector():
    import gc
    import runpy

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    try:
        config["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
