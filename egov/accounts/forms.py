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
