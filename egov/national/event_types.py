"""The events of the national portal sync (subject "dossier", keyed by the dossier code).

`dossier.synced` is recorded once, when the national public service portal first acknowledged
the dossier's record (the 766 indicator 1.4 counts it, egov/stats/projector.py);
`dossier.sync_resent` when reconciliation found the record missing on the portal and queued it
again from scratch.
"""

from __future__ import annotations

from egov.events.catalogue import Payload, declare

SUBJECT = "dossier"


class Synced(Payload):
    version: int  # the version of our record the portal acknowledged first
    agency_code: str = ""


class Resent(Payload):
    version: int
    reason: str


SYNCED = declare(
    "dossier.synced",
    subject=SUBJECT,
    payload=Synced,
    description="Cổng Dịch vụ công quốc gia xác nhận đã nhận hồ sơ đồng bộ lần đầu.",
)
SYNC_RESENT = declare(
    "dossier.sync_resent",
    subject=SUBJECT,
    payload=Resent,
    description=(
        "Đối soát phát hiện Cổng Dịch vụ công quốc gia thiếu hồ sơ đã xác nhận: hồ sơ và các "
        "bước xử lý được gửi lại từ đầu."
    ),
)
# Our own events: the projector of the sync record does not rebuild on them.
OWN = frozenset({SYNCED.name, SYNC_RESENT.name})
