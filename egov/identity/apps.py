from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "egov.identity"
    label = "identity"
    verbose_name = "Đăng nhập bằng định danh điện tử (VNeID)"
