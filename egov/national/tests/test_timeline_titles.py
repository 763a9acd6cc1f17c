"""The sync's events on a dossier read in Vietnamese where officials see them (the dossier's
processing log at the desk, the workspace's recent activity), never as the event type's code;
applicants' timeline stays as it was (the sync is the agency's business)."""

from __future__ import annotations

import pytest

from egov.conftest import login_client
from egov.dossiers.services import timeline
from egov.events.models import Event
from egov.events.services import dispatch_due

from .conftest import receive

pytestmark = pytest.mark.django_db

TITLE = "Đồng bộ lên Cổng Dịch vụ công quốc gia"


def test_officials_read_the_sync_in_vietnamese(staff, procedure, portal):
    dossier = receive(staff, procedure)
    for _ in range(5):
        if not dispatch_due().claimed:
            break
    assert Event.objects.filter(event_type="dossier.synced", subject_id=dossier.code).exists()

    official = login_client(staff.receiver.user)
    for url in (f"/mot-cua/ho-so/{dossier.code}/", "/lam-viec/"):
        page = official.get(url).content.decode()
        assert TITLE in page, url
        assert "dossier.synced" not in page, url

    assert TITLE in [e.title for e in timeline(dossier)]
    assert TITLE not in [e.title for e in timeline(dossier, for_applicant=True)]
