"""The codes the webhooks API answers with (besides the core ones)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class WebhookErrorCode(ErrorCode):
    # A target URL refused: not https, a private/loopback/metadata address, credentials in it.
    TARGET_REFUSED = "webhook_target_refused"
    # An event type nobody declared in the catalogue, or one that is never delivered.
    UNKNOWN_EVENT_TYPE = "webhook_unknown_event_type"
    # Only API clients (with webhooks:manage) have subscriptions.
    CLIENT_ONLY = "webhook_client_only"
    # Too many subscriptions for one client.
    TOO_MANY_SUBSCRIPTIONS = "webhook_too_many_subscriptions"
    # A replay range that is empty, reversed, in the future or holds more events than allowed.
    REPLAY_RANGE_INVALID = "webhook_replay_range_invalid"
    REPLAY_TOO_LARGE = "webhook_replay_too_large"
    # Replay or ping of a subscription that is switched off.
    SUBSCRIPTION_INACTIVE = "webhook_subscription_inactive"
