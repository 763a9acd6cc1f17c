from typing import Any

from django import forms


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
