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
    prev_hash = models.CharField(_("mã băm của sự kiện trước"), max_length=64)
    hash = models.CharField(_("mã băm"), max_length=64, unique=True)

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
        super().save(*args, **kwargs)

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


class CheckpointQuerySet(models.QuerySet["EventCheckpoint"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Checkpoints are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Checkpoints are append-only: they cannot be deleted.")


class EventCheckpoint(models.Model):
    """A signed statement "at `created_at` these chains ended at these (seq, hash)".

    The chain hash is unkeyed, so someone able to delete the last events and rewind the chain
    head leaves a consistent, shorter log. A checkpoint pins each chain's end with a signature
    made with a key that is not in the database (derived from SECRET_KEY), and is also written
    outside the database (a file, and optionally a webhook): `verify_events` then names an event
    that was checkpointed and is gone. `body` is the exact signed text (canonical JSON).
    """

    created_at = models.DateTimeField(_("thời điểm chốt"), db_index=True)
    body = models.TextField(_("nội dung đã ký"))
    key_id = models.CharField(_("mã khóa ký"), max_length=32)
    signature = models.CharField(_("chữ ký"), max_length=128)

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("điểm chốt nhật ký")
        verbose_name_plural = _("điểm chốt nhật ký")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.pk} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Checkpoints are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Checkpoints are append-only: they cannot be deleted.")


class CheckpointTimestampQuerySet(models.QuerySet["CheckpointTimestamp"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Checkpoint timestamps are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Checkpoint timestamps are append-only: they cannot be deleted.")


class CheckpointTimestamp(models.Model):
    """An RFC 3161 timestamp token over a checkpoint's signed body, from a time-stamping
    authority outside the platform (`egov.signing.timestamping`).

    The checkpoint's signature is the platform's own (SECRET_KEY): whoever holds that key could
    sign a shorter chain end dated in the past. The token pins what the checkpoint said and when,
    under the TSA's key. It is asked for after the checkpoint is stored, outside any transaction,
    and on the next run again while the TSA does not answer; append-only, one per checkpoint.
    """

    checkpoint = models.OneToOneField(
        EventCheckpoint,
        verbose_name=_("điểm chốt"),
        on_delete=models.PROTECT,
        related_name="timestamp",
    )
    token = models.TextField(_("dấu thời gian RFC 3161 (DER, base64)"))
    gen_time = models.DateTimeField(_("thời điểm theo TSA"))
    tsa = models.CharField(_("tổ chức cấp dấu thời gian"), max_length=255)
    created_at = models.DateTimeField(_("ghi lúc"), db_index=True)

    objects = CheckpointTimestampQuerySet.as_manager()

    class Meta:
        verbose_name = _("dấu thời gian của điểm chốt")
        verbose_name_plural = _("dấu thời gian của điểm chốt")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"timestamp of checkpoint {self.checkpoint_id} at {self.gen_time:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Checkpoint timestamps are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Checkpoint timestamps are append-only: they cannot be deleted.")


class CheckpointedHead(models.Model):
    """Where each chain stood at its last checkpoint: a checkpoint lists only changed chains."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("đầu chuỗi đã chốt")
        verbose_name_plural = _("đầu chuỗi đã chốt")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"


class ArchiveQuerySet(models.QuerySet["EventArchive"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Archive records are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Archive records are append-only: they cannot be deleted.")


class EventArchive(models.Model):
    """Months of the event log detached from the database (PostgreSQL partitions), and what the
    chains need to go on verifying without them (`egov.events.partitions`).

    `chains` holds, per chain, the detached range: first and last seq, the prev_hash of its first
    event and the hash of its last, and the row count. The first event still attached must carry
    that last hash as its prev_hash, so the rest of the chain keeps verifying. Append-only; the
    detaching itself is an event of the global chain (`events.partitions_archived`).
    """

    created_at = models.DateTimeField(_("ghi lúc"), db_index=True)
    first_month = models.DateField(_("từ tháng"))
    last_month = models.DateField(_("đến tháng"))
    range_start = models.DateTimeField(_("từ thời điểm"))
    range_end = models.DateTimeField(_("đến trước thời điểm"))
    partitions = models.JSONField(_("các phân vùng"), default=list)
    rows = models.PositiveBigIntegerField(_("số sự kiện"))
    chains = models.JSONField(_("các chuỗi"), default=dict)
    dump_file = models.CharField(_("tệp sao lưu"), max_length=500, blank=True)
    dump_sha256 = models.CharField(_("SHA-256 của tệp sao lưu"), max_length=64, blank=True)
    dropped = models.BooleanField(_("đã xóa bảng"), default=False)
    actor_label = models.CharField(_("người thực hiện"), max_length=150, blank=True)

    objects = ArchiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("đợt lưu trữ nhật ký")
        verbose_name_plural = _("các đợt lưu trữ nhật ký")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"lưu trữ {self.first_month:%m/%Y}–{self.last_month:%m/%Y}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Archive records are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Archive records are append-only: they cannot be deleted.")


class OutboxMessage(models.Model):
    """A message to another system, written in the same transaction as the state change.

    A worker delivers it after commit and retries with backoff until it is delivered or, after
    `max_attempts`, marked dead for an operator to look at. A message is claimed with a lease
    (`claim_token`, `locked_until`) so two workers never deliver it at the same time.
    """

    class Topic(models.TextChoices):
        EMAIL = "email", _("Thư điện tử")
        SMS = "sms", _("Tin nhắn SMS")
        WEBHOOK = "webhook", _("Webhook")
        NATIONAL_PORTAL = "national_portal", _("Cổng Dịch vụ công quốc gia")
        EDXML = "edxml", _("Trục liên thông văn bản (edXML)")
        EDXML_STATUS = "edxml_status", _("Trạng thái văn bản liên thông (edXML)")
        MEETING_NOTICE = "meeting_notice", _("Thông báo trong hệ thống (họp, lấy ý kiến)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        DELIVERING = "delivering", _("Đang gửi")
        DELIVERED = "delivered", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi, sẽ thử lại")
        DEAD = "dead", _("Hỏng, cần xử lý")

    topic = models.CharField(_("kênh"), max_length=40, db_index=True)
    idempotency_key = models.CharField(_("khóa chống trùng"), max_length=200, unique=True)
    payload = models.JSONField(_("nội dung"), default=dict)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("số lần đã gửi"), default=0)
    max_attempts = models.PositiveIntegerField(_("số lần gửi tối đa"), default=12)
    next_attempt_at = models.DateTimeField(_("gửi lần tới lúc"), default=timezone.now)
    claim_token = models.CharField(max_length=32, blank=True, default="", editable=False)
    locked_until = models.DateTimeField(_("đang giữ đến"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True, default="")
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now)
    delivered_at = models.DateTimeField(_("gửi xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("tin nhắn chờ gửi")
        verbose_name_plural = _("hàng đợi gửi tin")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="outbox_due_idx",
            ),
            models.Index(
                fields=["locked_until"],
                condition=models.Q(status="delivering"),
                name="outbox_lease_idx",
            ),
            models.Index(fields=["status", "topic"], name="outbox_status_topic_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic}:{self.idempotency_key} ({self.status})"
