"""RFC 3161 trusted timestamps: asking a time-stamping authority (TSA), and checking its tokens.

A timestamp token is a CMS SignedData, signed by the TSA, over a TSTInfo that says "this digest
existed at gen_time". The platform asks for one over content it wants a party outside itself to
attest (the event-log checkpoints, `egov.events`), and checks every token it receives or reads:

- the message imprint is the SHA-256 digest asked for;
- when stamping, the nonce is the one sent (a replayed or misdirected answer is refused);
- the CMS signature is valid, over a TSTInfo, and its signed attributes name the signer
  certificate (ESS signing-certificate);
- that certificate has the extended key usage timeStamping, marked critical (RFC 3161, 2.3),
  chains at gen_time to the trust list (`trust.py`: trust anchors, `SIGNING_TRUST_ROOT_FILES`)
  and is not in the revocation list.

Timestampers share one interface, `Timestamper.timestamp(digest) -> TimestampToken`:

- `HttpTimestamper`: a TSA over HTTP (`TSA_URL`; optional basic authentication `TSA_USERNAME` /
  `TSA_PASSWORD`; `TSA_TIMEOUT_SECONDS`), e.g. the national CA's in production, or the local
  stand-in (`python -m egov.signing.tsa_standin`) in the demo.
- `LocalTimestamper`: the demo CA's TSA (`make_demo_ca`) in-process, when `TSA_URL` is unset
  (development and tests). Its key is the platform's own, so it attests nothing to an outsider.

`configured_timestamper()` picks one (None: no TSA at all). A TSA that cannot answer raises
`TimestampUnavailable` (ask again later); an answer that is not a valid token for the request
raises `TimestampRefused` (never stored).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime

import requests
from asn1crypto import algos, cms, core, tsp  # type: ignore[import-untyped, unused-ignore]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign.general import SignedDataCerts, extract_signer_info
from pyhanko.sign.timestamps.common_utils import get_nonce
from pyhanko.sign.validation.generic_cms import (
    extract_certs_for_validation,
    validate_sig_integrity,
)
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathBuildingError, PathError, ValidationError

from egov.events.timestamps import (  # the types the event log declares; re-exported here
    Timestamper,
    TimestampRefused,
    TimestampToken,
    TimestampUnavailable,
    TokenCheck,
)

from . import keystore
from .conf import setting
from .trust import from_asn1, revocation_of, run_sync, validation_context

logger = logging.getLogger("egov.signing.timestamping")

DIGEST_ALGORITHM = "sha256"
MAX_REPLY_BYTES = 1024 * 1024
REQUEST_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def make_request(message_digest: bytes) -> tuple[int, tsp.TimeStampReq]:
    """A request for a SHA-256 digest, with a fresh 64-bit nonce, asking for the TSA's
    certificate in the token (certReq)."""
    nonce = get_nonce()
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": DIGEST_ALGORITHM}),
                    "hashed_message": message_digest,
                }
            ),
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return nonce, request


# --- checking tokens ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trust:
    problem: str
    valid_from: datetime
    valid_until: datetime


class TokenVerifier:
    """Checks tokens against the trust list. Remembers the outcome of each TSA certificate's path
    validation (verifying an event log checks thousands of tokens from the same TSA); use one
    verifier per run, so changes to the trust list are seen by the next run."""

    def __init__(self) -> None:
        self._trust: dict[bytes, _Trust] = {}
        # The same token is read twice (database and file): checked once.
        self._checked: dict[bytes, TokenCheck] = {}

    def check(
        self, der: bytes, expected_digest: bytes | None = None, *, nonce: int | None = None
    ) -> TokenCheck:
        key = hashlib.sha256(der).digest()
        found = self._checked.get(key)
        if found is None:
            found = self._checked[key] = self._check(der)
        if found.code == "unreadable":
            return found
        if expected_digest is not None and found.imprint != expected_digest:
            return replace(
                found, problem="dấu thời gian được cấp cho một nội dung khác", code="imprint"
            )
        if nonce is not None and found.nonce != nonce:
            return replace(
                found,
                problem="số dùng một lần (nonce) trong dấu thời gian không khớp yêu cầu",
                code="nonce",
            )
        return found

    def _check(self, der: bytes) -> TokenCheck:
        """Everything that depends on the token alone (cached per token)."""
        try:
            content = cms.ContentInfo.load(der)
            if content["content_type"].native != "signed_data":
                raise ValueError("not a SignedData")
            signed = content["content"]
            encap = signed["encap_content_info"]
            if encap["content_type"].native != "tst_info":
                raise ValueError("not a TSTInfo")
            info = encap["content"].parsed
            if not isinstance(info, tsp.TSTInfo):
                raise ValueError("not a TSTInfo")
            tst_bytes = bytes(encap["content"])
            gen_time: datetime = info["gen_time"].native
            algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"].native
            imprint: bytes = info["message_imprint"]["hashed_message"].native
            token_nonce = info["nonce"].native
            signer_info = extract_signer_info(signed)
            certs = _signer_certificates(signed, signer_info)
        except Exception as exc:  # bytes from outside: any parse error is "unreadable"
            logger.debug("unreadable timestamp token: %r", exc)
            return TokenCheck("không đọc được dấu thời gian", "unreadable")
        tsa = keystore.common_name(from_asn1(certs.signer_cert))

        def refuse(problem: str, code: str) -> TokenCheck:
            return TokenCheck(problem, code, gen_time, imprint, tsa, token_nonce)

        if algorithm != DIGEST_ALGORITHM or len(imprint) != _DIGEST_SIZES[DIGEST_ALGORITHM]:
            return refuse(
                f"dấu thời gian dùng thuật toán băm {algorithm}, không phải SHA-256", "imprint"
            )
        try:
            md = signer_info["digest_algorithm"]["algorithm"].native
            intact, valid = validate_sig_integrity(
                signer_info, certs.signer_cert, "tst_info", hashlib.new(md, tst_bytes).digest()
            )
        except Exception:  # a malformed signature is a bad signature
            intact = valid = False
        if not (intact and valid):
            return refuse("chữ ký của TSA trên dấu thời gian không hợp lệ", "signature")
        problem = self._trust_problem(certs.signer_cert, list(certs.other_certs), gen_time)
        if problem:
            return refuse(problem, "untrusted")
        return TokenCheck(gen_time=gen_time, imprint=imprint, tsa=tsa, nonce=token_nonce)

    def _trust_problem(
        self,
        cert: asn1_x509.Certificate,
        others: list[asn1_x509.Certificate],
        moment: datetime,
    ) -> str:
        cached = self._trust.get(cert.sha256)
        if cached is not None and cached.valid_from <= moment <= cached.valid_until:
            return cached.problem
        trust = _validate_tsa_certificate(cert, others, moment)
        self._trust[cert.sha256] = trust
        return trust.problem


def _signer_certificates(signed: cms.SignedData, signer_info: cms.SignerInfo) -> SignedDataCerts:
    """The signer's certificate and the others. The usual case is matched on the exact DER of
    the issuer name (fast: comparing names by their matching rules costs milliseconds with
    Vietnamese names, and a log has thousands of tokens); anything else goes through pyHanko."""
    sid = signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        certs = [c.chosen.untag() for c in signed["certificates"] if c.name == "certificate"]
        found = [c for c in certs if c.serial_number == serial and c.issuer.dump() == issuer]
        if len(found) == 1:
            return SignedDataCerts(
                signer_cert=found[0],
                other_certs=[c for c in certs if c is not found[0]],
                attribute_certs=[],
            )
    return extract_certs_for_validation(signed)


def _validate_tsa_certificate(
    cert: asn1_x509.Certificate, others: list[asn1_x509.Certificate], moment: datetime
) -> _Trust:
    """The TSA certificate's standing at `moment`: the window in which this outcome holds is the
    overlap of the validity of the certificates on its path."""
    leaf = from_asn1(cert)
    window = (leaf.not_valid_before_utc, leaf.not_valid_after_utc)

    def outcome(problem: str) -> _Trust:
        return _Trust(problem, *window)

    try:
        usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return outcome("chứng thư của TSA không có mục đích sử dụng timeStamping")
    if list(usage.value) != [ExtendedKeyUsageOID.TIME_STAMPING] or not usage.critical:
        return outcome(
            "chứng thư của TSA phải có đúng một mục đích timeStamping, đánh dấu critical"
        )
    context = validation_context(other_certs=[from_asn1(c) for c in others], moment=moment)
    validator = CertificateValidator(cert, intermediate_certs=others, validation_context=context)
    try:
        path = run_sync(validator.async_validate_usage(set(), {"time_stamping"}))
    except (PathBuildingError, PathError):
        return outcome("chứng thư của TSA không thuộc tổ chức chứng thực tin cậy")
    except ValidationError:
        return outcome(f"chứng thư của TSA không hợp lệ lúc {moment:%d/%m/%Y %H:%M} (UTC)")
    path_certs = [from_asn1(c) for c in path.iter_certs(include_root=True)]
    window = (
        max(c.not_valid_before_utc for c in path_certs),
        min(c.not_valid_after_utc for c in path_certs),
    )
    if any(revocation_of(c) is not None for c in path_certs):
        return outcome("chứng thư của TSA (hoặc CA cấp nó) đã bị thu hồi")
    return outcome("")


# --- timestampers -------------------------------------------------------------------------------


def accept_response(
    response: tsp.TimeStampResp, message_digest: bytes, nonce: int, source: str
) -> TimestampToken:
    """The token of a TSA's answer, once checked against the request; else an exception."""
    try:
        status = response["status"]["status"].native
        token = response["time_stamp_token"]
    except Exception as exc:  # bytes from outside
        raise TimestampRefused(f"{source}: câu trả lời không phải TimeStampResp") from exc
    if status not in ("granted", "granted_with_mods"):
        texts = "; ".join(response["status"]["status_string"].native or [])
        raise TimestampUnavailable(
            f"{source}: TSA từ chối cấp ({status}{': ' if texts else ''}{texts})"
        )
    if token is None or isinstance(token, core.Void) or token.native is None:
        raise TimestampRefused(f"{source}: TSA báo cấp nhưng không gửi dấu thời gian")
    der = token.dump()
    check = TokenVerifier().check(der, message_digest, nonce=nonce)
    if not check.ok:
        raise TimestampRefused(f"{source}: {check.problem}")
    assert check.gen_time is not None
    return TimestampToken(der=der, gen_time=check.gen_time, tsa=check.tsa)


class HttpTimestamper:
    """A TSA over HTTP (RFC 3161 section 3.4): POST application/timestamp-query."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, username: str = "", password: str = ""
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("TSA_URL must be an http(s) URL")
        self.url = url
        self.name = url
        self.timeout = timeout
        self.auth = (username, password) if username else None

    def timestamp(self, message_digest: bytes) -> TimestampToken:
        nonce, request = make_request(message_digest)
        try:
            with requests.post(
                self.url,
                data=request.dump(),
                headers={"Content-Type": REQUEST_TYPE, "Accept": REPLY_TYPE},
                auth=self.auth,
                timeout=self.timeout,
                stream=True,
            ) as reply:
                if reply.status_code != 200:
                    raise TimestampUnavailable(f"{self.url}: HTTP {reply.status_code}")
                kind = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if kind != REPLY_TYPE:
                    raise TimestampUnavailable(f"{self.url}: trả về {kind or 'không rõ'}")
                body = reply.raw.read(MAX_REPLY_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise TimestampUnavailable(f"{self.url}: {exc.__class__.__name__}") from exc
        if len(body) > MAX_REPLY_BYTES:
            raise TimestampRefused(f"{self.url}: câu trả lời quá lớn")
        try:
            response = tsp.TimeStampResp.load(body)
            response["status"].native  # noqa: B018 - parse now, not later
        except Exception as exc:  # bytes from outside
            raise TimestampRefused(f"{self.url}: câu trả lời không phải TimeStampResp") from exc
        return accept_response(response, message_digest, nonce, self.url)


class LocalTimestamper:
    """The demo CA's TSA, in-process: development and tests without TSA_URL."""

    def __init__(self) -> None:
        from .ca import DemoTimestampAuthority
        from .services import ca_material, demo_tsa

        authority = demo_tsa()
        if authority is None:
            raise ValueError("no demo TSA: run make_demo_ca")
        self._tsa = DemoTimestampAuthority(ca_material(authority))
        self.name = f"TSA minh họa nội bộ ({authority.name})"

    def timestamp(self, message_digest: bytes) -> TimestampToken:
        nonce, request = make_request(message_digest)
        return accept_response(self._tsa.respond(request), message_digest, nonce, self.name)


def configured_timestamper() -> Timestamper | None:
    """`TSA_URL` when set; else the demo CA's TSA when `make_demo_ca` made one; else None."""
    url = setting("TSA_URL")
    if url:
        return HttpTimestamper(
            url,
            timeout=float(setting("TSA_TIMEOUT_SECONDS", "10") or 10),
            username=setting("TSA_USERNAME"),
            password=setting("TSA_PASSWORD"),
        )
    from .services import demo_tsa

    if demo_tsa() is None:
        return None
    return LocalTimestamper()
