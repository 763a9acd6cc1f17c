"""The finished demo dossiers' results are electronic originals: built through the real flow
(online submission, reception, the specialist's draft, the leader's signature with the demo
authenticator code, return), their files pass poppler's pdfsig and pyHanko's validation against
the demo trust anchors."""

from __future__ import annotations

import re
import shutil
from io import StringIO

import pytest
from django.core.management import call_command

from egov.demo.results import BIRTH_REGISTRATION, BIRTHS
from egov.dossiers.models import Dossier, Status
from egov.onestop.services import results_for_applicant
from egov.signing.services import pdfsig_can_use_trust_list, pdfsig_report, validate_pdf

pytestmark = pytest.mark.django_db


def test_finished_demo_dossiers_results_pass_pdfsig_and_pyhanko(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", "--quiet", stdout=StringIO())
    out = StringIO()
    call_command("load_demo_results", stdout=out)
    assert f"tạo mới {len(BIRTHS)} hồ sơ" in out.getvalue()
    finished = Dossier.objects.filter(procedure__code=BIRTH_REGISTRATION)
    assert finished.count() == len(BIRTHS)
    assert shutil.which("pdfsig") and pdfsig_can_use_trust_list()
    for dossier in finished:
        assert dossier.status == Status.RETURNED
        [result] = results_for_applicant(dossier)  # the signed copy, not the draft
        assert result.signed
        assert result.signature is not None
        assert result.signature.sealed_by == dossier.agency.name
        pdf = result.file.file.read()

        check = validate_pdf(pdf)
        assert check.valid, check.errors
        assert [s.field_name for s in check.signatures] == ["ChuKyCaNhan1", "ChuKyCoQuan1"]
        assert all(s.trusted and s.intact for s in check.signatures)

        report = pdfsig_report(pdf)  # an NSS database trusting the demo root only
        assert report.count("Signature is Valid.") == 2, report
        assert report.count("Certificate is Trusted.") == 2, report
        assert len(re.findall(r"^Signature #\d+:$", report, flags=re.MULTILINE)) == 2
    # again: nothing new
    out = StringIO()
    call_command("load_demo_results", stdout=out)
    assert "tạo mới 0 hồ sơ" in out.getvalue()
