"""Webhook subscriptions of API clients and their delivery log.

A subscription belongs to one API client (egov.accounts.ApiClient): it names a target URL and the
declared event types (or `prefix.*`) it wants. Its signing secrets are kept encrypted
(egov.webhooks.keys): they must stay usable to sign, so they cannot be hashed like API tokens.
During a rotation the previous secret stays valid until `previous_secret_expires_at` and every
delivery carries both signatures.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_URL_LENGTH = 500
MAX_NAME_LENGTH = 120
MAX_ERROR_LENGTH = 500
MAX_EVENT_TYPES = 50


class Subscription(models.Model):
    api_client = models.ForeignKey(
        settings.API_CLIENT_MODEL,
        verbose_name=_("ứng dụng API"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    name = models.CharField(_("tên"), max_length=MAX_NAME_LENGTH)
    target_url = models.CharField(_("địa chỉ nhận"), max_length=MAX_URL_LENGTH)
    event_types = models.JSONField(_("loại sự kiện"), default=list)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    disabled_reason = models.CharField(_("lý do tạm dừng"), max_length=200, blank=True)
    # Encrypted with the platform's webhook key (egov.webhooks.keys), never shown after creation.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(editable=False, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(
        _("khóa cũ hết hạn lúc"), null=True, blank=True, editable=False
    )
    secret_rotated_at = models.DateTimeField(
        _("đổi khóa lúc"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("đăng ký nhận sự kiện")
        verbose_name_plural = _("đăng ký nhận sự kiện")
        ordering = ["id"]
        indexes = [models.Index(fields=["is_active"], name="webhook_sub_active_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.api_client_id})"


class DeliveryStatus(models.TextChoices):
    DELIVERED = "delivered", _("Đã nhận (2xx)")
    FAILED = "failed", _("Lỗi, sẽ thử lại")
    GONE = "gone", _("Bên nhận báo 410: đã tạm dừng đăng ký")
    SKIPPED = "skipped", _("Bỏ qua (đăng ký đã tạm dừng hoặc không còn quyền)")


class Delivery(models.Model):
    """One attempt to deliver one event to one subscription (append-only by use)."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("đăng ký"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("sự kiện"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    outbox_message = models.ForeignKey(
        "events.OutboxMessage",
        verbose_name=_("tin nhắn chờ gửi"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cloudevent_id = models.CharField(_("mã CloudEvent"), max_length=80)
    attempt = models.PositiveIntegerField(_("lần gửi"))
    is_replay = models.BooleanField(_("gửi lại theo yêu cầu"), default=False)
    status = models.CharField(_("kết quả"), max_length=12, choices=DeliveryStatus.choices)
    http_status = models.PositiveIntegerField(_("mã HTTP"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("thời gian (ms)"), default=0)
    error = models.CharField(_("lỗi"), max_length=MAX_ERROR_LENGTH, blank=True)
    attempted_at = models.DateTimeField(_("gửi lúc"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("lần gửi sự kiện")
        verbose_name_plural = _("nhật ký gửi sự kiện")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_sub_idx"),
            models.Index(fields=["subscription", "status", "-id"], name="webhook_deliv_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cloudevent_id} → {self.subscription_id} #{self.attempt} {self.status}"

    @property
    def next_retry_at(self) -> object:
        """When the outbox tries again (only for the latest failed attempt of its message)."""
        message = self.outbox_message
        if (
            self.status == DeliveryStatus.FAILED
            and message is not None
            and message.status == "failed"
            and message.attempts == self.attempt
        ):
            return message.next_attempt_at
        return None
