"""Who logged in through the national electronic identity (VNeID, behind an OpenID Connect
provider interface): one link per account and provider, the identity level the provider last
asserted, and the claims it verified (the only source of the fields marked "verified")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdentityLevel(models.IntegerChoices):
    # Decree 69/2024/NĐ-CP art. 12: level 1 registered online with the chip card's number and
    # a face picture, level 2 issued in person (or by the chip read) and the holder verified.
    LEVEL_1 = 1, _("Mức độ 1")
    LEVEL_2 = 2, _("Mức độ 2")


class IdentityLink(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.PROTECT,
        related_name="identity_links",
    )
    provider = models.CharField(_("nhà cung cấp định danh"), max_length=32)
    # The provider's stable subject identifier (`sub`), never shown.
    subject = models.CharField(_("mã chủ thể"), max_length=255)
    level = models.PositiveSmallIntegerField(
        _("mức độ định danh"), choices=IdentityLevel.choices, default=IdentityLevel.LEVEL_1
    )
    # The claims the provider signed at the last login, as it sent them (personal id number,
    # full name, date of birth, gender, address, phone...).
    claims = models.JSONField(_("thông tin đã xác thực"), default=dict)
    linked_at = models.DateTimeField(_("liên kết lúc"), default=timezone.now)
    last_login_at = models.DateTimeField(_("đăng nhập lần cuối"), default=timezone.now)

    class Meta:
        verbose_name = _("liên kết định danh điện tử")
        verbose_name_plural = _("liên kết định danh điện tử")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_link_subject"),
            models.UniqueConstraint(fields=["user", "provider"], name="identity_link_user"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.user}"
