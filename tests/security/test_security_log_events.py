"""What the security logger records beyond sign-ins: admin refusals, wrong second-factor codes,
permission changes; and what no log line ever carries: one-time tokens from links."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.security_log import JSONLineFormatter, RedactSecretsFilter, redact
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="sourcewise.security")

    def read(name=None):
        formatter = JSONLineFormatter()
        lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "sourcewise.security"]
        return [line for line in lines if name is None or line["event"] == name]

    return read


def test_an_admin_403_is_logged(client, events):
    clerk = UserFactory(is_staff=True)  # staff without any permission
    client.force_login(clerk)
    response = client.get(reverse("admin:core_apikey_changelist"))
    assert response.status_code == 403
    (refusal,) = events("access_refused")
    assert refusal["surface"] == "admin" and refusal["status"] == 403
    assert refusal["actor"] == f"user:{clerk.email}" and refusal["path"].startswith("/admin/core/apikey/")


def test_a_wrong_second_factor_code_is_logged(client, account_manager, events, settings):
    settings.ADMIN_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=account_manager, name="phone", confirmed=True)
    client.force_login(account_manager)
    client.post(reverse("admin:two_factor"), {"token": "000000"})
    (failure,) = events("totp_failed")
    assert failure["actor"] == f"user:{account_manager.email}" and failure["reason"] == "sign-in"
    assert "000000" not in json.dumps(events())


def test_granting_staff_and_superuser_is_logged_with_who_did_it(client, superuser, events):
    person = UserFactory()
    client.force_login(superuser)
    client.post(
        reverse("admin:core_user_change", args=[person.pk]),
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    (change,) = [e for e in events("permission_changed") if "is_superuser" in e.get("change", "")]
    assert change["email"] == person.email and change["actor"] == f"user:{superuser.email}"
    assert "is_staff: False → True" in change["change"] and "is_superuser: False → True" in change["change"]


def test_group_and_permission_changes_are_logged(events):
    person = UserFactory(is_staff=True)
    group = Group.objects.create(name="Auditors")
    person.groups.add(group)
    group.permissions.add(Permission.objects.get(codename="view_apikey", content_type__app_label="core"))
    person.user_permissions.add(Permission.objects.get(codename="delete_sponsor"))
    person.groups.remove(group)
    changes = [(e["model"], e["change"]) for e in events("permission_changed") if "model" in e]
    assert ("user groups", "added: Auditors") in changes
    assert ("group permissions", "added: core.view_apikey") in changes
    assert ("user permissions", "added: engagements.delete_sponsor") in changes
    assert ("user groups", "removed: Auditors") in changes


def test_a_login_alone_logs_no_permission_change(client, account_manager, events):
    from tests.factories import PASSWORD

    client.post(reverse("admin:login"), {"username": account_manager.email, "password": PASSWORD})
    assert events("permission_changed") == []


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (
            "GET /portal/password-reset/MQ/cb4x2q-0a1b2c3d4e5f6a7b8c9d/ HTTP/1.1",
            "cb4x2q-0a1b2c3d4e5f6a7b8c9d",
        ),
        ("Not Found: /admin/two-factor/enrol/Qm9vLWJhZy1zZWNyZXQ/", "Qm9vLWJhZy1zZWNyZXQ"),
        ("GET /portal/login/?next=%2Fportal%2Fpassword-reset%2FMQ%2Fcb4x2q-99ff%2F", "cb4x2q-99ff"),
    ],
)
def test_tokens_never_reach_a_log_line(line, secret):
    assert secret not in redact(line)
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" 200', (line,), None)
    RedactSecretsFilter().filter(record)
    assert secret not in record.getMessage() and "[redacted]" in record.getMessage()


def test_the_steps_after_the_token_stay_readable():
    assert redact("/portal/password-reset/MQ/set-password/") == "/portal/password-reset/MQ/set-password/"
    assert redact("/portal/password-reset/sent/") == "/portal/password-reset/sent/"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_gunicorns_access_log_shows_no_reset_or_set_up_token(tmp_path):
    """A real gunicorn with the project's gunicorn.conf.py, on the test database: the access log
    keeps the requests, without their tokens."""
    port, log = _free_port(), tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "SOURCEWISE_VAR_DIR": str(tmp_path / "var")}
    # Everything gunicorn and the application write (the access log: JSON lines on stderr).
    output = log.open("w")
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--workers", "1", "--access-logfile", "-"],
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
    )
    secrets = ["cb4x2q-5e5e5e5e5e5e5e5e5e5e", "Qm9vLWJhZy1zZWNyZXQtdG9rZW4"]
    expected = ["/portal/password-reset/MQ/[redacted]/", "/admin/two-factor/enrol/[redacted]/"]
    try:
        deadline = time.monotonic() + 30
        for path in [f"/portal/password-reset/MQ/{secrets[0]}/", f"/admin/two-factor/enrol/{secrets[1]}/"]:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
                    break
                except urllib.error.HTTPError:
                    break  # an answer (even an error page) is a logged request
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
        while time.monotonic() < deadline and not all(line in log.read_text() for line in expected):
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
        output.close()
    text = log.read_text()
    assert all(line in text for line in expected), text[-3000:]
    assert not any(secret in text for secret in secrets)
