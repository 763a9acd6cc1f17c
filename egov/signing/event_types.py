"""The events signing records (the event catalogue, egov.events.catalogue)."""

from __future__ import annotations

from datetime import datetime

from egov.events.catalogue import Payload, declare

SUBJECT_IDENTITY = "signing.identity"
SUBJECT_TRUST_ANCHOR = "signing.trust_anchor"
SUBJECT_CA = "signing.ca"


class Identity(Payload):
    official_id: int | None = None
    agency_id: int | None = None
    kind: str
    subject: str
    serial: str
    fingerprint: str
    not_after: datetime
    reason: str | None = None  # on revocation


class TrustAnchor(Payload):
    subject: str
    fingerprint: str


class KeystoreRotated(Payload):
    count: int


class Authority(Payload):
    name: str
    fingerprint: str


IDENTITY_ADDED = declare(
    "signing.identity_added",
    subject=SUBJECT_IDENTITY,
    payload=Identity,
    description="A signing identity (an official's or an agency's certificate) was stored.",
)
IDENTITY_REVOKED = declare(
    "signing.identity_revoked",
    subject=SUBJECT_IDENTITY,
    payload=Identity,
    description="A signing identity was revoked.",
)
TRUST_ANCHOR_ADDED = declare(
    "signing.trust_anchor_added",
    subject=SUBJECT_TRUST_ANCHOR,
    payload=TrustAnchor,
    description="An operator added (or re-activated by adding) a trusted root certificate.",
)
TRUST_ANCHOR_ACTIVATED = declare(
    "signing.trust_anchor_activated",
    subject=SUBJECT_TRUST_ANCHOR,
    payload=TrustAnchor,
    description="An operator re-activated a trusted root certificate.",
)
TRUST_ANCHOR_REMOVED = declare(
    "signing.trust_anchor_removed",
    subject=SUBJECT_TRUST_ANCHOR,
    payload=TrustAnchor,
    description="An operator deactivated a trusted root certificate.",
)
KEYSTORE_ROTATED = declare(
    "signing.keystore_rotated",
    subject=SUBJECT_CA,
    payload=KeystoreRotated,
    description="The keystore's secrets were re-encrypted under the current key.",
)
CA_CREATED = declare(
    "signing.ca_created",
    subject=SUBJECT_CA,
    payload=Authority,
    description="A demo certificate authority was created.",
)
TSA_CREATED = declare(
    "signing.tsa_created",
    subject=SUBJECT_CA,
    payload=Authority,
    description="The demo time-stamping authority's certificate was created.",
)
