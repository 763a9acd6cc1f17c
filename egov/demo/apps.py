from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration province (agencies, officials, citizens, catalogue) across the apps;
    installed for its commands load_demo and demo_totp."""

    name = "egov.demo"
    label = "demo"
    verbose_name = "Dữ liệu minh họa"
