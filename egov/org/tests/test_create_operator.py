"""Bootstrapping the first operator of an installation."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from egov.accounts.models import User
from egov.org.models import Agency

pytestmark = pytest.mark.django_db


def test_first_operator_with_its_agency(monkeypatch) -> None:
    monkeypatch.setenv("EGOV_OPERATOR_PASSWORD", "Quan-tri-2026!")
    out = StringIO()
    call_command(
        "create_operator",
        "admin.tinh",
        "--full-name",
        "Nguyễn Quản Trị",
        "--agency-name",
        "Ủy ban nhân dân tỉnh Quảng Ninh",
        stdout=out,
    )
    user = User.objects.get(username="admin.tinh")
    assert user.is_operator and user.is_staff
    assert user.official.agency == Agency.objects.get(identifier="000.00.00.H41")
    assert authenticate(username="admin.tinh", password="Quan-tri-2026!") == user
    assert "TOTP" in out.getvalue()

    with pytest.raises(CommandError, match="đã tồn tại"):
        call_command("create_operator", "admin.tinh", "--full-name", "X", stdout=StringIO())


def test_weak_password_and_unknown_agency_are_refused(monkeypatch) -> None:
    monkeypatch.setenv("EGOV_OPERATOR_PASSWORD", "12345")
    with pytest.raises(CommandError, match="Mật khẩu"):
        call_command("create_operator", "qt", "--full-name", "Quản Trị", stdout=StringIO())
    monkeypatch.setenv("EGOV_OPERATOR_PASSWORD", "Quan-tri-2026!")
    with pytest.raises(CommandError, match="--agency-name"):
        call_command("create_operator", "qt", "--full-name", "Quản Trị", stdout=StringIO())
    assert not User.objects.exists()
