from typing import Any

from allauth.core import context
from allauth.core.internal import ratelimit
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from django import forms
from django.conf import settings

from egov.core.errors import DomainError


class CitizenRegistrationForm(forms.Form):
    personal_id = forms.CharField(
        label="Số định danh cá nhân (CCCD)",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "username"}),
    )
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    phone = forms.CharField(label="Số điện thoại", max_length=20, required=False)
    email = forms.CharField(label="Thư điện tử", max_length=254, required=False)
    password = forms.CharField(
        label="Mật khẩu", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class BusinessRegistrationForm(forms.Form):
    tax_code = forms.CharField(label="Mã số thuế", max_length=20)
    name = forms.CharField(label="Tên tổ chức, doanh nghiệp", max_length=255)
    representative = forms.CharField(label="Người đại diện", max_length=150)
    address = forms.CharField(label="Địa chỉ", max_length=255, required=False)
    phone = forms.CharField(label="Số điện thoại", max_length=20, required=False)
    email = forms.CharField(label="Thư điện tử", max_length=254, required=False)
    password = forms.CharField(
        label="Mật khẩu", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class DeskCodeIssueForm(forms.Form):
    """At the one-stop desk: the papers are checked, then a one-time code is printed."""

    kind = forms.ChoiceField(
        label="Loại tài khoản",
        choices=[("citizen", "Công dân"), ("business", "Tổ chức, doanh nghiệp")],
        widget=forms.RadioSelect,
        initial="citizen",
    )
    id_number = forms.CharField(
        label="Số định danh cá nhân hoặc mã số thuế",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    full_name = forms.CharField(
        label="Họ và tên (theo giấy tờ gốc)",
        max_length=150,
        help_text="Với tổ chức, doanh nghiệp: người đại diện đến làm thủ tục.",
    )
    phone = forms.CharField(label="Số điện thoại của người đến", max_length=20, required=False)
    email = forms.CharField(label="Thư điện tử", max_length=254, required=False)
    papers_checked = forms.BooleanField(
        label="Đã đối chiếu CCCD/giấy tờ gốc của người đến làm thủ tục",
        help_text="Căn cước (căn cước công dân) còn hạn, đúng người, đúng số; với doanh nghiệp "
        "thêm giấy chứng nhận đăng ký doanh nghiệp hoặc giấy tờ chứng minh tư cách đại diện.",
    )


class DeskCodeRedeemForm(forms.Form):
    id_number = forms.CharField(
        label="Số định danh cá nhân hoặc mã số thuế",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "username"}),
    )
    code = forms.CharField(
        label="Mã xác thực cấp tại Bộ phận Một cửa",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off"}),
    )
    new_password = forms.CharField(
        label="Mật khẩu mới",
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Nhập lại mật khẩu mới",
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "Hai lần nhập mật khẩu không giống nhau.")
        return data


class ActivateTOTPForm(AllauthActivateTOTPForm):
    """allauth's TOTP activation (settings.MFA_FORMS) which, for an official or operator without
    an authenticator, also takes the one-time enrolment code an operator issued: a password known
    to someone else does not let them enrol their own authenticator (docs/security.md, finding
    2). The code is consumed when the authenticator is set up; wrong codes are throttled per
    account (from any address) and per address (ENROLMENT_CODE_FAILED_RATE_LIMIT)."""

    enrolment_code = forms.CharField(
        label="Mã kích hoạt do quản trị hệ thống cấp",
        help_text="Mã 10 ký tự (dạng ABCDE-FGHJK) quản trị hệ thống trao cho bạn, có giá trị "
        "7 ngày và chỉ dùng được một lần.",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from . import services

        super().__init__(*args, **kwargs)
        if not services.enrolment_code_required(self.user):
            del self.fields["enrolment_code"]

    def clean(self) -> dict[str, Any] | None:
        from . import services

        data = super().clean()
        if "enrolment_code" not in self.fields or self.errors:
            return data  # the code is only tried with a right TOTP code
        request = context.request
        usage = ratelimit.consume(
            request,
            app="allauth.mfa",
            action="enrolment_code_failed",
            config={"enrolment_code_failed": settings.ENROLMENT_CODE_FAILED_RATE_LIMIT},
            key=f"user:{self.user.pk}",
        )
        if not usage:
            self.add_error(
                "enrolment_code",
                "Nhập sai mã kích hoạt quá nhiều lần. Vui lòng thử lại sau ít phút.",
            )
            return data
        try:
            services.redeem_enrolment_code(
                user=self.user, code=(data or {}).get("enrolment_code", "")
            )
        except DomainError as exc:
            self.add_error("enrolment_code", exc.message)
        else:
            usage.rollback()  # only wrong codes count
        return data
