"""Load the demo province (idempotent: safe to run at every start)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.demo.data import DEMO_TOTP_SECRET, load_demo, receive_at_centre


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu minh họa tỉnh Quảng Ninh (cơ quan, phòng ban, công chức, công dân, doanh "
        "nghiệp). Chạy lại không tạo trùng. Không dùng trên hệ thống thật."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Không in bảng tài khoản.")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.catalog.form_templates import attach_generated_templates
        from egov.catalog.starter import load_starter_catalog
        from egov.core.actors import SYSTEM

        result = load_demo()
        self.stdout.write(
            f"Dữ liệu minh họa: tạo mới {result.created_agencies} cơ quan, "
            f"{result.created_units} phòng ban, {result.created_officials} công chức."
        )
        # The catalogue refers to the demo agencies, so it loads after them.
        catalog = load_starter_catalog()
        self.stdout.write(
            f"Danh mục thủ tục: tạo mới {len(catalog.created)}, "
            f"giữ nguyên {len(catalog.unchanged)} thủ tục."
        )
        # Blank forms citizens can download from the procedure pages (only those missing).
        templates = attach_generated_templates(actor=SYSTEM)
        if templates:
            self.stdout.write(f"Mẫu đơn, tờ khai: tạo {len(templates)} tệp mẫu (PDF).")
        # The provincial centre receives the departments' procedures (Decree 61/2018/NĐ-CP,
        # amended by Decree 107/2021/NĐ-CP): after the catalogue, which names the procedures.
        centre = receive_at_centre()
        if centre:
            self.stdout.write(
                f"Trung tâm Phục vụ hành chính công tỉnh tiếp nhận thêm {centre} thủ tục "
                "của các sở."
            )
        # The eID on the portal: a level-2 procedure, demo citizens linked at levels 2 and 1.
        from egov.demo.identity import load_demo_identity

        if load_demo_identity():
            self.stdout.write(
                "Định danh điện tử: Phiếu lý lịch tư pháp yêu cầu tài khoản mức độ 2; công dân "
                "minh họa liên kết VNeID mức độ 2 và mức độ 1."
            )
        # How each agency collects fees (receipt series, bank account for VietQR): before the
        # dossiers, whose fees are paid at the desk.
        from egov.demo.payments import load_demo_collectors

        collectors = load_demo_collectors()
        if collectors:
            self.stdout.write(f"Thu phí, lệ phí: thiết lập {collectors} đơn vị thu.")
        # Dossiers go through the catalogue's procedures, so they come last.
        from egov.demo.dossiers import load_demo_dossiers

        self.stdout.write(f"Hồ sơ minh họa: tạo mới {load_demo_dossiers()} hồ sơ.")
        if options["quiet"]:
            return
        rows = [("Tài khoản", "Mật khẩu", "Vai trò", "Cơ quan")]
        rows += [(x.username, x.password, x.role, x.agency) for x in result.logins]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        self.stdout.write("")
        for n, row in enumerate(rows):
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[3]
            )
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in [*widths, len(row[3])]))
        self.stdout.write("")
        self.stdout.write(
            "Công chức và quản trị đăng nhập thêm mã xác thực hai lớp (TOTP) với khóa minh họa "
            f"{DEMO_TOTP_SECRET}: thêm khóa này vào ứng dụng xác thực, hoặc chạy "
            "`python manage.py demo_totp` để lấy mã hiện tại."
        )
