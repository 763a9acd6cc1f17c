"""Administration of digital signatures (operators only): identities, trust list, revocations.

Nothing is edited in place: identities are imported (PKCS#12) or issued by `make_demo_ca`, and
revoked through `services.revoke_identity`; trust anchors are added and withdrawn through the
services. Every change is an event.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.core.admin import (
    OperatorOnlyMixin,
    OperatorReadOnlyMixin,
    is_operator_request,
    operator_actor,
)

from . import keystore, services
from .models import CertificateAuthority, RevokedCertificate, SigningIdentity, TrustAnchor


class ValidityFilter(admin.SimpleListFilter):
    title = _("tình trạng")
    parameter_name = "tinh_trang"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("valid", "Còn hiệu lực"),
            ("expired", "Hết hạn"),
            ("revoked", "Đã thu hồi"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "valid":
            return queryset.filter(revoked_at__isnull=True, not_before__lte=now, not_after__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, not_after__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class Pkcs12ImportForm(forms.ModelForm):
    pkcs12_file = forms.FileField(label=_("Tệp PKCS#12 (.p12, .pfx)"))
    passphrase = forms.CharField(
        label=_("Mật khẩu tệp PKCS#12"), widget=forms.PasswordInput, required=False
    )

    class Meta:
        model = SigningIdentity
        fields = ["official", "agency", "label"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("official")) == bool(data.get("agency")):
            raise forms.ValidationError("Chọn đúng một chủ sở hữu: công chức hoặc cơ quan.")
        upload = data.get("pkcs12_file")
        if upload is not None:
            raw = upload.read()
            try:
                keystore.load_pkcs12(raw, (data.get("passphrase") or "").encode() or None)
            except (ValueError, keystore.KeystoreError):
                self.add_error("pkcs12_file", "Sai mật khẩu hoặc tệp không chứa khóa và chứng thư.")
            data["pkcs12_bytes"] = raw
        return data


@admin.register(SigningIdentity)
class SigningIdentityAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "owner",
        "subject",
        "kind",
        "not_before",
        "not_after",
        "status",
        "revoked_at",
    ]
    list_filter = [ValidityFilter, "kind"]
    search_fields = ["subject", "serial_hex", "label", "official__user__full_name", "agency__name"]
    list_select_related = ["official__user", "agency"]
    autocomplete_fields = ["official", "agency"]
    actions = ["revoke_selected"]
    form = Pkcs12ImportForm
    readonly_fields = [
        "official",
        "agency",
        "label",
        "kind",
        "subject",
        "issuer",
        "serial_hex",
        "fingerprint_sha256",
        "not_before",
        "not_after",
        "revoked_at",
        "revocation_reason",
        "pkcs11_token_label",
        "pkcs11_slot",
        "pkcs11_key_label",
        "certificate_pem",
        "issued_by",
        "created_at",
    ]

    @admin.display(description=_("chủ sở hữu"))
    def owner(self, obj: SigningIdentity) -> str:
        return obj.owner_name

    @admin.display(description=_("tình trạng"))
    def status(self, obj: SigningIdentity) -> str:
        try:
            services.check_usable(obj)
        except services.SigningError as exc:
            return {
                "certificate_revoked": "Đã thu hồi",
                "certificate_expired": "Hết hạn",
                "certificate_not_yet_valid": "Chưa có hiệu lực",
            }.get(exc.code, exc.code)
        return "Còn hiệu lực"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = []
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        if obj is not None:
            return self.readonly_fields
        return ["official", "agency", "label", "pkcs12_file", "passphrase"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # identities are imported, issued or revoked, never edited

    def save_model(
        self, request: HttpRequest, obj: SigningIdentity, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        identity = services.import_pkcs12(
            actor=operator_actor(request),
            data=data["pkcs12_bytes"],
            passphrase=data.get("passphrase") or "",
            official=data.get("official"),
            agency=data.get("agency"),
            label=data.get("label") or "",
        )
        obj.pk = identity.pk
        obj.refresh_from_db()

    @admin.action(description=_("Thu hồi các chứng thư đã chọn"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[SigningIdentity]) -> None:
        if not is_operator_request(request):
            return
        actor = operator_actor(request)
        count = 0
        for identity in queryset.filter(revoked_at__isnull=True):
            services.revoke_identity(
                actor=actor,
                identity=identity,
                reason=f"Thu hồi qua trang quản trị ({actor.label})",
            )
            count += 1
        self.message_user(request, f"Đã thu hồi {count} chứng thư số.", messages.SUCCESS)


class TrustAnchorForm(forms.ModelForm):
    class Meta:
        model = TrustAnchor
        fields = ["name", "certificate_pem"]

    def clean_certificate_pem(self) -> str:
        pem: str = self.cleaned_data["certificate_pem"]
        try:
            certs = keystore.load_pem_certificates(pem)
        except ValueError:
            certs = []
        if len(certs) != 1:
            raise forms.ValidationError("Nhập đúng một chứng thư CA gốc dạng PEM.")
        return pem


@admin.register(TrustAnchor)
class TrustAnchorAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "subject", "not_after", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "subject", "fingerprint_sha256"]
    actions = ["withdraw_selected", "restore_selected"]
    form = TrustAnchorForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TrustAnchor, form: Any, change: bool) -> None:
        anchor = services.add_trust_anchor(
            actor=operator_actor(request),
            certificate_pem=form.cleaned_data["certificate_pem"],
            name=form.cleaned_data.get("name") or "",
        )
        obj.pk = anchor.pk
        obj.refresh_from_db()

    @admin.action(description=_("Thôi tin cậy các CA gốc đã chọn"))
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[TrustAnchor]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description=_("Tin cậy lại các CA gốc đã chọn"))
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[TrustAnchor]) -> None:
        self._set_active(request, queryset, True)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[TrustAnchor], active: bool
    ) -> None:
        if not is_operator_request(request):
            return
        actor = operator_actor(request)
        for anchor in queryset:
            services.set_trust_anchor_active(actor=actor, anchor=anchor, active=active)
        self.message_user(request, "Đã cập nhật danh sách CA gốc tin cậy.", messages.SUCCESS)


@admin.register(RevokedCertificate)
class RevokedCertificateAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ["serial_hex", "issuer", "revoked_at", "reason"]
    search_fields = ["serial_hex", "issuer"]


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "parent", "not_after", "created_at"]
    fields = ["name", "parent", "certificate_pem", "fingerprint_sha256", "not_after", "created_at"]
