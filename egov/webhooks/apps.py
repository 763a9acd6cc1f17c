from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "egov.webhooks"
    label = "webhooks"
    verbose_name = "Webhook cho ứng dụng kết nối"
