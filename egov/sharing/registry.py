"""The service catalogue, as data: what the province shares through its LGSP side.

A service is a code (what a grant names), a Vietnamese name and description, the owner, a
version, a status, the API scope every call needs (`sharing:use`, besides the grant), the URL
path prefix of its endpoints (its own OpenAPI document is the schema restricted to them), what
it gives and the data-protection note of what it deliberately does not give.
"""

from __future__ import annotations

from dataclasses import dataclass

from .api_scopes import USE

API_PREFIX = "/api/v1/sharing/"


@dataclass(frozen=True)
class SharingService:
    code: str
    name: str
    description: str
    owner: str
    version: str
    status: str  # "active", "deprecated"
    scope: str
    path_prefix: str
    gives: tuple[str, ...]
    withholds: str
    who_may_use: str

    @property
    def openapi_path(self) -> str:
        return f"{API_PREFIX}services/{self.code}/openapi.json"


SERVICES: dict[str, SharingService] = {}


def register(service: SharingService) -> SharingService:
    if service.code in SERVICES:
        raise ValueError(f"sharing service {service.code!r} declared twice")
    SERVICES[service.code] = service
    return service


def get(code: str) -> SharingService | None:
    return SERVICES.get(code)


def service_for_path(path: str) -> SharingService | None:
    for service in SERVICES.values():
        if path.startswith(service.path_prefix):
            return service
    return None


OWNER = "Văn phòng UBND tỉnh (Trung tâm Phục vụ hành chính công)"

DOSSIER_STATUS = register(
    SharingService(
        code="dossier-status",
        name="Tra cứu tình trạng hồ sơ",
        description=(
            "Cho cơ quan khác biết một hồ sơ thủ tục hành chính đang ở đâu: trạng thái, ngày hẹn "
            "trả, cơ quan giải quyết và tóm tắt các bước xử lý, tra theo mã hồ sơ."
        ),
        owner=OWNER,
        version="1.0",
        status="active",
        scope=USE,
        path_prefix=f"{API_PREFIX}dossier-status/",
        gives=(
            "mã hồ sơ, thủ tục, cơ quan giải quyết",
            "trạng thái (mã theo Cổng Dịch vụ công quốc gia), ngày nộp, tiếp nhận, hẹn trả, "
            "kết thúc, trả kết quả",
            "các bước xử lý: tên bước, cơ quan, trạng thái, thời hạn",
        ),
        withholds=(
            "Không trả họ tên, số định danh, địa chỉ, điện thoại của người nộp, nội dung tờ khai, "
            "tên cán bộ xử lý hay ý kiến xử lý: cơ quan khác chỉ cần biết tiến độ."
        ),
        who_may_use=(
            "Mọi cơ quan được cấp quyền dịch vụ này, với hồ sơ của bất kỳ cơ quan nào trong tỉnh "
            "(mã hồ sơ do người dân cung cấp)."
        ),
    )
)

PROCEDURES = register(
    SharingService(
        code="procedures",
        name="Danh mục thủ tục hành chính",
        description=(
            "Danh mục thủ tục hành chính đã công bố của tỉnh: tên, lĩnh vực, cấp thực hiện, "
            "thời hạn, phí, thành phần hồ sơ, quy trình."
        ),
        owner=OWNER,
        version="1.0",
        status="active",
        scope=USE,
        path_prefix=f"{API_PREFIX}procedures/",
        gives=("thủ tục đã công bố và chi tiết của từng thủ tục",),
        withholds="Không có dữ liệu cá nhân; thủ tục chưa công bố không được chia sẻ.",
        who_may_use="Mọi ứng dụng được cấp quyền dịch vụ này.",
    )
)

RESULTS = register(
    SharingService(
        code="results",
        name="Kết quả giải quyết để dùng lại",
        description=(
            "Cho cơ quan khác dùng lại kết quả đã ký số của một hồ sơ (nguyên tắc chỉ cung cấp "
            "thông tin một lần): thông tin kết quả, mã băm SHA-256 và tải bản điện tử đã ký."
        ),
        owner=OWNER,
        version="1.0",
        status="active",
        scope=USE,
        path_prefix=f"{API_PREFIX}results/",
        gives=(
            "tên tệp, loại, kích thước, mã băm SHA-256, người ký, thời điểm ký",
            "tải tệp kết quả đã ký số",
        ),
        withholds=(
            "Chỉ trả khi yêu cầu nêu đúng cả mã hồ sơ và số định danh của chủ hồ sơ (do người dân "
            "xuất trình với cơ quan hỏi); sai một trong hai thì trả lời như không có. Hai thông "
            "tin này gửi trong nội dung yêu cầu (POST), không nằm trên đường dẫn, nên nhật ký chỉ "
            "giữ mã băm của chúng."
        ),
        who_may_use="Cơ quan được cấp quyền dịch vụ này.",
    )
)

PAYMENT_STATUS = register(
    SharingService(
        code="payment-status",
        name="Tình trạng nộp phí, lệ phí của hồ sơ",
        description=(
            "Cho biết hồ sơ đã nộp phí, lệ phí chưa: tổng phải nộp, đã nộp, ngày nộp, các khoản "
            "phí và có thanh toán trực tuyến hay không."
        ),
        owner=OWNER,
        version="1.0",
        status="active",
        scope=USE,
        path_prefix=f"{API_PREFIX}payment-status/",
        gives=(
            "tình trạng nộp phí, tổng phải nộp, số đã nộp (đồng), ngày nộp",
            "các khoản phí, lệ phí và cách thu (như bản ghi đồng bộ Cổng Dịch vụ công quốc gia)",
        ),
        withholds=(
            "Chỉ cơ quan giải quyết hồ sơ (ứng dụng của cơ quan đó) hoặc ứng dụng dùng chung toàn "
            "tỉnh; cơ quan khác nhận trả lời như không có hồ sơ. Không trả tài khoản, giao dịch "
            "ngân hàng."
        ),
        who_may_use="Ứng dụng của cơ quan giải quyết hồ sơ, hoặc ứng dụng dùng chung toàn tỉnh.",
    )
)
