"""What a quality auditor checks on the wire: headers, cookies, hashing, deploy settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "audit-" + "k" * 60,
    "ALLOWED_HOSTS": "testserver,sourcewise.example.com",
}

PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.test.utils import override_settings
# The pages need static URLs; collecting (and compressing) every file for that would take a minute.
# The storage is not what is under test here: serve unhashed names.
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
).enable()
from django.test import Client
from tests.factories import MembershipFactory, PASSWORD
member = MembershipFactory()
client = Client()
out = {}
for path in ["/portal/login/", "/admin/login/", "/api/v1/docs/"]:
    response = client.get(path, secure=True)
    out[path] = {k: v for k, v in response.headers.items()}
login = client.post("/portal/login/", {"username": member.user.email, "password": PASSWORD}, secure=True)
out["cookies"] = {name: dict(morsel.items()) for name, morsel in login.cookies.items()}
out["plain_http"] = Client().get("/portal/login/").status_code
from django.contrib.auth.hashers import make_password
out["hash"] = make_password("correct horse battery staple")[:10]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    var = tmp_path_factory.mktemp("production")  # one per xdist worker: no shared static files
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL="sqlite:///:memory:")
    env.update(SOURCEWISE_VAR_DIR=str(var))
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("path", ["/portal/login/", "/admin/login/", "/api/v1/docs/"])
def test_every_html_page_carries_the_security_headers(production, path):
    headers = production[path]
    csp = headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_session_and_csrf_cookies_are_secure_httponly_samesite(production):
    session = production["cookies"]["sessionid"]
    assert session["secure"] is True and session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert int(session["max-age"]) <= 8 * 3600
    assert production["cookies"]["csrftoken"]["secure"] is True


def test_plain_http_is_redirected_to_https(production):
    assert production["plain_http"] == 301


def test_passwords_are_hashed_with_argon2(production):
    assert production["hash"].startswith("argon2")


def test_deploy_check_passes_with_no_warnings():
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env.update(PRODUCTION)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_development_pages_carry_the_csp_too(client):
    response = client.get(reverse("portal:login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
