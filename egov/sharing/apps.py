from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "egov.sharing"
    label = "sharing"
    verbose_name = "Dịch vụ chia sẻ dữ liệu (LGSP)"
