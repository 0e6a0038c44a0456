"""Contract test: a Python client generated from openapi/openapi.json by
openapi-python-client (a generator that names classes from the document)
drives one direct clone through its life against a running controller, and
every request and response of the run is validated against the document
with openapi-core: the document, the generated client and the server agree.

    PUREBOOT_URL=http://127.0.0.1:18080 PUREBOOT_TOKEN=… \\
        PYTHONPATH=target/python-client python tests/contract/clone_cycle.py

scripts/test generates the client (failing on any generator warning) and runs
this after starting a controller on a fresh database.
"""

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from pureboot_client import AuthenticatedClient
from pureboot_client.api.audit import get_clone_report, get_clone_report_csv, list_audit_events
from pureboot_client.api.ca import get_ca_certificate, get_crl
from pureboot_client.api.clone_sessions import (
    get_clone_session,
    get_clone_session_history,
    list_clone_sessions,
)
from pureboot_client.api.clone_sessions import create_clone_session
from pureboot_client.api.health import get_health, get_readiness
from pureboot_client.api.node_callbacks import (
    complete_clone_session,
    report_clone_progress,
    report_source_ready,
)
from pureboot_client.api.nodes import create_node, get_node
from pureboot_client.models import (
    CloneMode,
    CloneProgressUpdate,
    CloneSessionCreate,
    CloneSourceReady,
    CloneStatus,
    ErrorResponse,
    GetCrlFormat,
    GroupBy,
    NodeCreate,
    ResizeMode,
    Role,
)

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
SIZE = 8_000_000_000


class _Request:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request):
        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    """An httpx response as openapi-core reads one."""

    def __init__(self, response: httpx.Response):
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
        self.data = response.content


class Validator:
    """Checks every exchange against the document; counts them."""

    def __init__(self) -> None:
        # openapi-core reads JSON bodies itself; the others are checked as the
        # strings the document declares (a PEM is text, a DER is bytes).
        def text(body: bytes, **parameters: str) -> str:
            return body.decode(parameters.get("charset", "utf-8"))

        def binary(body: bytes, **_parameters: str) -> str:
            return body.decode("latin-1")

        deserializers = {"application/x-pem-file": text, "text/csv": text, "application/pkix-crl": binary}
        self.openapi = OpenAPI.from_file_path(str(DOCUMENT), config=Config(extra_media_type_deserializers=deserializers))
        self.checked = 0

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        request = _Request(response.request)
        self.openapi.validate_request(request)
        self.openapi.validate_response(request, _Response(response))
        self.checked += 1


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def ok(response, what: str):
    """The parsed body of a 2xx answer, or a failure naming the status and body."""
    expect(200 <= response.status_code < 300, f"{what} → HTTP {response.status_code}: {response.content!r}")
    expect(response.parsed is not None, f"{what}: no parsed body")
    return response.parsed


def main() -> int:
    base_url = os.environ.get("PUREBOOT_URL", "").rstrip("/")
    if not base_url:
        print("PUREBOOT_URL is not set: point it at a running controller", file=sys.stderr)
        return 2
    validator = Validator()
    hooks = {"event_hooks": {"response": [validator]}}

    def client(token: str) -> AuthenticatedClient:
        return AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True, httpx_args=hooks)

    admin = client(os.environ.get("PUREBOOT_TOKEN", ""))
    run = secrets.token_hex(3)

    expect(ok(get_health.sync_detailed(client=admin), "GET /health").status == "ok", "health")

    def register(role: str) -> str:
        mac = "02:00:" + ":".join(secrets.token_hex(1) for _ in range(4))
        body = NodeCreate(mac_address=mac, hostname=f"py-contract-{role}-{run}")
        node = ok(create_node.sync_detailed(client=admin, body=body), "POST /nodes").data
        expect(node.mac_address == mac, f"{node.mac_address} != {mac}")
        return node.id

    source_id, target_id = register("source"), register("target")
    expect(ok(get_node.sync_detailed(source_id, client=admin), "GET node").data.id == source_id, "node id")

    create = CloneSessionCreate(
        source_node_id=source_id,
        target_node_id=target_id,
        name=f"py-contract-{run}",
        clone_mode=CloneMode.DIRECT,
        source_device="/dev/sda",
        target_device="/dev/sdb",
        resize_mode=ResizeMode.NONE,
    )
    created = ok(create_clone_session.sync_detailed(client=admin, body=create), "POST /clone-sessions").data
    expect(created.status == CloneStatus.PENDING, f"created {created.status}")
    session_id = created.id
    source, target = client(created.node_tokens.source), client(created.node_tokens.target)

    ready = CloneSourceReady(ip="10.0.0.31", port=9999, size_bytes=SIZE, device="/dev/sda")
    answer = ok(report_source_ready.sync_detailed(session_id, client=source, body=ready), "POST source-ready")
    expect(answer.data.status == CloneStatus.SOURCE_READY, f"source-ready {answer.data.status}")

    for share in (0.4, 0.75):
        update = CloneProgressUpdate(role=Role.TARGET, bytes_transferred=int(SIZE * share), transfer_rate_bps=150_000_000)
        ack = ok(report_clone_progress.sync_detailed(session_id, client=target, body=update), "POST progress")
        expect(ack.data.progress_percent == share * 100, f"progress {ack.data.progress_percent}")

    session = ok(get_clone_session.sync_detailed(session_id, client=admin), "GET session").data
    expect(session.status == CloneStatus.CLONING and session.bytes_total == SIZE, f"cloning {session}")

    # The body is optional (a digest); the generated client cannot leave it
    # out (it would send its UNSET marker), so it sends the null the document allows.
    done = ok(complete_clone_session.sync_detailed(session_id, client=target, body=None), "POST complete").data
    expect(done.status == CloneStatus.COMPLETED and done.duration_seconds >= 0, f"complete {done}")

    # get and list answer the same class for one session (the envelopes $ref it).
    session = ok(get_clone_session.sync_detailed(session_id, client=admin), "GET session").data
    listed = ok(list_clone_sessions.sync_detailed(client=admin), "GET /clone-sessions").data
    expect(any(s.id == session_id and type(s) is type(session) for s in listed), "the session is listed")
    expect(session.status == CloneStatus.COMPLETED and session.progress_percent == 100, f"completed {session}")
    expect(session.error_message is None and session.completed_at is not None, f"completed {session}")

    history = ok(get_clone_session_history.sync_detailed(session_id, client=admin), "GET history").data
    types = [entry.event_type for entry in history]
    expect("clone_session.completed" in types, f"history {types}")

    unknown = get_clone_session.sync_detailed("00000000-0000-0000-0000-000000000000", client=admin)
    expect(unknown.status_code == 404 and isinstance(unknown.parsed, ErrorResponse), f"unknown {unknown}")

    audit = ok(list_audit_events.sync_detailed(client=admin, stream=f"clone_session:{session_id}"), "GET /events")
    expect([entry.event_type for entry in audit.data] == types, f"audit {audit.data}")
    report = ok(get_clone_report.sync_detailed(client=admin, group_by=GroupBy.STATUS), "GET report")
    expect(any(row.group == "completed" for row in report.groups), f"report {report.groups}")
    csv = ok(get_clone_report_csv.sync_detailed(client=admin, group_by=GroupBy.STATUS), "GET report CSV")
    expect(csv.startswith("group,") and "\ncompleted," in csv, f"CSV {csv!r}")

    # The public CA material: PEM text, a DER CRL as bytes, its PEM form as text.
    expect(ok(get_ca_certificate.sync_detailed(client=admin), "GET CA").startswith("-----BEGIN"), "CA PEM")
    der = ok(get_crl.sync_detailed(client=admin), "GET CRL").payload.read()
    expect(der[:1] == b"\x30", f"CRL DER {der[:8]!r}")
    crl_pem = ok(get_crl.sync_detailed(client=admin, format_=GetCrlFormat.PEM), "GET CRL PEM").payload.read()
    expect(crl_pem.startswith(b"-----BEGIN X509 CRL-----"), f"CRL PEM {crl_pem[:30]!r}")
    expect(ok(get_readiness.sync_detailed(client=admin), "GET /ready").status == "ready", "ready")

    print(f"python contract: clone cycle done, {validator.checked} exchanges valid against {DOCUMENT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
