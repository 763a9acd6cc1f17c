"""Append-only domain event log (hash-chained) and the transactional outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Events are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Events are append-only: they cannot be deleted.")


class Event(models.Model):
    """One state change. Rows form hash chains (one chain per agency, plus 'global').

    A chain per agency keeps writers in different agencies from serialising on one lock, while
    each chain still makes any edited, inserted or removed row detectable.
    """

    chain = models.CharField(_("chuỗi"), max_length=40)
    seq = models.PositiveBigIntegerField(_("số thứ tự trong chuỗi"))
    occurred_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    actor_kind = models.CharField(_("loại người thực hiện"), max_length=20)
    actor_user_id = models.BigIntegerField(_("tài khoản"), null=True, blank=True)
    actor_api_client_id = models.BigIntegerField(_("ứng dụng API"), null=True, blank=True)
    actor_label = models.CharField(_("người thực hiện"), max_length=150, blank=True)
    agency_id = models.BigIntegerField(_("cơ quan"), null=True, blank=True, db_index=True)
    subject_type = models.CharField(_("loại đối tượng"), max_length=60)
    subject_id = models.CharField(_("mã đối tượng"), max_length=64)
    event_type = models.CharField(_("loại sự kiện"), max_length=80, db_index=True)
    payload = models.JSONField(_("nội dung"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("sự kiện")
        verbose_name_plural = _("nhật ký sự kiện")
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="event_chain_seq")]
        indexes = [models.Index(fields=["subject_type", "subject_id", "id"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.subject_type}:{self.subject_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Events are append-only: they cannot be deleted.")


class ChainHead(models.Model):
    """The last seq and hash of each chain; its row lock serialises appends to one chain."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("đầu chuỗi")
        verbose_name_plural = _("đầu chuỗi")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"
