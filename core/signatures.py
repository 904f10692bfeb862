"""Electronic signatures (21 CFR Part 11: 11.50 manifestation, 11.70 linking, 11.100 and 11.200
components).

A person signs a record at a moment: they type their password and a current second-factor code
again, and choose what the signature means (authored, reviewed, approved, awarded). The signature
stores the printed name, the UTC time, the meaning, and a SHA-256 hash of the exact version of the
record signed, computed from the record's content by the function its app registered. A signature
is written once (the application's database role may only insert into its table) and is in the
audit trail. When the record changes later, its hash no longer matches: every place a signature
is shown says it applies to an earlier version. Signing is for people: the API reads signatures
and never signs.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django_otp import devices_for_user

from core.errors import ApplicationError
from core.models import Signature, SignatureMeaning, User
from core.security_log import client_ip, log_event


@dataclass(frozen=True)
class Signable:
    content: Callable[[Any], Any]  # the record's signed content, as JSON-ready data
    meanings: tuple[str, ...]


_REGISTRY: dict[type, Signable] = {}


def register(model, *, content: Callable[[Any], Any], meanings: tuple[str, ...]) -> None:
    _REGISTRY[model] = Signable(content, meanings)


def _signable(record) -> Signable:
    try:
        return _REGISTRY[type(record)]
    except KeyError:
        raise ApplicationError(f"A {record._meta.verbose_name} cannot be signed.") from None


def fingerprint(record) -> str:
    """SHA-256 of the record's signed content, canonical JSON (sorted keys, no spaces)."""
    data = _signable(record).content(record)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def meanings_for(record) -> list[tuple[str, str]]:
    allowed = _signable(record).meanings
    return [(value, label) for value, label in SignatureMeaning.choices if value in allowed]


def check_signer(*, request, signer: User, password: str, code: str) -> None:
    """Both components again, at the moment of signing (11.200(a)(1)): password and a current code."""
    if not password or authenticate(request, username=signer.email, password=password) != signer:
        log_event("signature_refused", actor=f"user:{signer.email}", ip=client_ip(request), reason="password")
        raise ApplicationError(
            "The password is not right. Signing needs your own password, typed now.",
            field_errors={"password": "The password is not right."},
        )
    devices = list(devices_for_user(signer, confirmed=True))
    if not devices:
        raise ApplicationError(
            "Signing needs your second factor: set up your authenticator app first (two-factor page)."
        )
    code = (code or "").replace(" ", "")
    if not (code.isdigit() and any(device.verify_token(code) for device in devices)):
        log_event("signature_refused", actor=f"user:{signer.email}", ip=client_ip(request), reason="code")
        raise ApplicationError(
            "The code is not valid. Type the code your authenticator app shows now.",
            field_errors={"code": "The code is not valid."},
        )


@transaction.atomic
def sign(
    *, record, signer: User, meaning: str, request, password: str, code: str, comment: str = ""
) -> Signature:
    """Sign `record` now; raises ApplicationError (nothing written) when a component is wrong."""
    allowed = _signable(record).meanings
    if meaning not in allowed:
        labels = ", ".join(label.lower() for value, label in SignatureMeaning.choices if value in allowed)
        raise ApplicationError(
            f"Choose what your signature means: {labels}.", field_errors={"meaning": "Choose a meaning."}
        )
    if not signer.is_active:
        raise ApplicationError("This account cannot sign.")
    check_signer(request=request, signer=signer, password=password, code=code)
    signature = Signature.objects.create(
        signer=signer,
        printed_name=signer.get_full_name() or signer.email,
        signer_email=signer.email,
        meaning=meaning,
        comment=comment.strip()[:500],
        record_type=ContentType.objects.get_for_model(record),
        record_id=str(record.pk),
        record_label=str(record)[:300],
        record_hash=fingerprint(record),
    )
    log_event(
        "signature",
        actor=f"user:{signer.email}",
        ip=client_ip(request),
        model=record._meta.label,
        object=str(record.pk),
        reason=meaning,
    )
    return signature


def signatures_of(record) -> list[Signature]:
    return list(
        Signature.objects.filter(
            record_type=ContentType.objects.get_for_model(record), record_id=str(record.pk)
        ).select_related("signer")
    )


@dataclass(frozen=True)
class ShownSignature:
    """A signature as people read it, with whether it still matches the record as it is now."""

    printed_name: str
    meaning: str
    signed_at: Any
    comment: str
    current: bool
    record_hash: str

    @property
    def sentence(self) -> str:
        when = self.signed_at.strftime("%-d %b %Y, %H:%M UTC")
        text = f"{self.meaning} by {self.printed_name} on {when}."
        if not self.current:
            text += " The record has changed since: this signature applies to the earlier version."
        return text


def shown(record, *, signatures: list[Signature] | None = None) -> list[ShownSignature]:
    current = fingerprint(record)
    return [
        ShownSignature(
            printed_name=s.printed_name,
            meaning=s.get_meaning_display(),
            signed_at=s.signed_at,
            comment=s.comment,
            current=s.record_hash == current,
            record_hash=s.record_hash,
        )
        for s in (signatures if signatures is not None else signatures_of(record))
    ]
