"""The payment part of the national portal sync record (egov.payments.sync): the fee lines with
when they are collected, and whether the dossier paid online."""

from __future__ import annotations

import pytest

from egov.dossiers.models import Dossier
from egov.onestop import services as onestop
from egov.payments.models import Payment
from egov.payments.sync import dossier_payment_part

from .accounting_support import pay, rules
from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db

LINE = {
    "TenPhiLePhi": "Phí cung cấp thông tin lý lịch tư pháp",
    "MaPhiLePhi": "",
    "HinhThucThu": "1",
    "Gia": FEE,
    "LoaiPhiLePhi": "1",
}


def test_paid_online_at_submission(criminal_record, submit, make_citizen):
    dossier = submit(make_citizen(), criminal_record)
    assert dossier_payment_part(dossier) == {"DanhSachLePhi": [LINE], "DuocThanhToanTrucTuyen": "0"}
    pay(payment_of(dossier), "vietqr")
    assert dossier_payment_part(dossier.code) == {
        "DanhSachLePhi": [LINE],
        "DuocThanhToanTrucTuyen": "1",
    }


def test_cash_and_a_payment_asked_during_processing(criminal_record, submit, make_citizen, staff):
    dossier = submit(make_citizen(), criminal_record)
    pay(payment_of(dossier), "cash")
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.request_payment(
        actor=actor(staff.specialist),
        dossier=dossier.code,
        amount=50_000,
        reason="Phí cấp thêm bản",
    )
    part = dossier_payment_part(dossier)
    assert part["DuocThanhToanTrucTuyen"] == "0"
    assert part["DanhSachLePhi"][0] == LINE
    assert part["DanhSachLePhi"][1] == {
        "TenPhiLePhi": "Phí cấp thêm bản",
        "MaPhiLePhi": "",
        "HinhThucThu": "2",
        "Gia": 50_000,
        "LoaiPhiLePhi": "1",
    }


def test_refused_before_paying_lists_nothing_collected(
    criminal_record, submit, make_citizen, staff
):
    rules(("refused", True, 100, True))
    dossier = submit(make_citizen(), criminal_record)
    onestop.refuse(actor=actor(staff.receiver), dossier=dossier.code, reason="Sai thẩm quyền")
    assert dossier_payment_part(dossier) == {"DanhSachLePhi": [], "DuocThanhToanTrucTuyen": "0"}


def test_a_dossier_from_before_payments_lists_its_own_fee_lines(
    criminal_record, submit, make_citizen
):
    dossier = submit(make_citizen(), criminal_record)
    Payment.objects.filter(dossier=dossier).delete()
    Dossier.objects.filter(pk=dossier.pk).update(payment_state="")
    assert dossier_payment_part(dossier.code) == {
        "DanhSachLePhi": [LINE],
        "DuocThanhToanTrucTuyen": "0",
    }
