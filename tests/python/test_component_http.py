"""wasi:http: a real HTTP client component, in Ember and in the `wasmtime` package.

tests/component/wasi-http/build.sh builds the client (a Python program
packaged by componentize-py, ~15 s, once per run). Its exports send requests
through wasi:http/outgoing-handler to a server this test runs on 127.0.0.1,
and report the status, the server's `x-` headers and the body, or the
error-code. Each test calls them through `Linker.add_wasip2()`,
`Linker.add_wasi_http()` and `Store.set_wasi_http()` in both engines and
compares the reports.
"""
import http.server
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import wasmtime
import wasmtime.component as wc

import ember
import ember.component as ec

CLIENT = Path(__file__).parents[1] / "component" / "wasi-http"


class Handler(http.server.BaseHTTPRequestHandler):
    """/echo: the request as JSON (201, x-echo); /big, /chunked, /close:
    n bytes framed by content-length, chunks, or the end of the connection;
    /slow: answers after a second; /held: answers once `release` is set
    (`held` counts the requests waiting for it)."""
    protocol_version = "HTTP/1.1"
    release = threading.Event()
    held = 0
    held_lock = threading.Lock()

    def request_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n)

    def answer(self) -> None:
        try:
            self.respond()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def respond(self) -> None:
        body = self.request_body()
        route, _, query = self.path.partition("?")
        n = int(query[2:]) if query.startswith("n=") else 0
        data = bytes(i % 251 for i in range(n))
        if route == "/slow":
            time.sleep(1.0)
        if route == "/held":
            with Handler.held_lock:
                Handler.held += 1
            Handler.release.wait(60)
        if route == "/chunked":
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for i in range(0, n, 70000):
                part = data[i:i + 70000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if route == "/close":
            self.send_response(200)
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return
        if route != "/big":
            data = json.dumps({"method": self.command, "path": self.path, "length": len(body),
                               "start": body[:16].decode("latin1"),
                               "x-test": self.headers.get("x-test")}).encode()
        self.send_response(201 if route != "/big" else 200)
        self.send_header("x-echo", "yes")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PURGE = answer

    def log_message(self, *args: Any) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the in-flight limit test connects 64 at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that refused the certificate, or gave up


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture(scope="module")
def client_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("componentize-py"), "scripts/install-deps.sh installs componentize-py"
    out = tmp_path_factory.mktemp("wasi-http")
    # The sanitizer runs preload their runtime, which componentize-py must not get.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run(["bash", str(CLIENT / "build.sh"), str(out)], check=True, capture_output=True,
                   timeout=600, env=env)
    return out / "http.wasm"


_loaded: Dict[Tuple[str, Path], Tuple[Any, Any]] = {}


def instance(mod: Any, comp_mod: Any, wasm: Path) -> Tuple[Any, Any]:
    """A store and an instance of the client (the component compiled once
    per engine kind: the package takes seconds for its 18 MB)."""
    key = (mod.__name__, wasm)
    if key not in _loaded:
        engine = mod.Engine()
        _loaded[key] = (engine, comp_mod.Component.from_file(engine, str(wasm)))
    engine, component = _loaded[key]
    linker = comp_mod.Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    store = mod.Store(engine)
    store.set_wasi(mod.WasiConfig())
    store.set_wasi_http()
    return store, linker.instantiate(store, component)


def call(mod: Any, comp_mod: Any, wasm: Path, name: str, *args: Any) -> Any:
    store, inst = instance(mod, comp_mod, wasm)
    return inst.get_func(store, name)(store, *args)


def both(wasm: Path, name: str, *args: Any) -> Any:
    theirs = call(wasmtime, wc, wasm, name, *args)
    ours = call(ember, ec, wasm, name, *args)
    assert ours == theirs
    return ours


def fetch(wasm: Path, authority: str, path: str, method: str = "GET", body: bytes = b"",
          headers: List[Tuple[str, str]] = [], timeout_ms: int = 0) -> str:
    report: str = both(wasm, "fetch", "http", method, authority, path, headers, body, timeout_ms)
    return report


def test_get_sends_method_path_query_and_headers(client_wasm: Path, server: str) -> None:
    report = fetch(client_wasm, server, "/echo?x=1&y=two", headers=[("X-Test", "abc")])
    assert report.startswith("status=201 headers=[('x-echo', 'yes')] length=")
    assert '"method": "GET", "path": "/echo?x=1&y=two", "length": 0' in report
    assert '"x-test": "abc"' in report


@pytest.mark.parametrize("method", ["POST", "PUT", "PURGE"])
def test_a_request_body_written_after_handle_arrives_whole(client_wasm: Path, server: str,
                                                           method: str) -> None:
    body = bytes(range(256)) * 400
    report = fetch(client_wasm, server, "/echo", method=method, body=body)
    assert f'"method": "{method}", "path": "/echo", "length": 102400' in report


@pytest.mark.parametrize("route", ["/big", "/chunked", "/close"])
def test_response_bodies_of_every_framing(client_wasm: Path, server: str, route: str) -> None:
    n = 3_000_000  # three times what Ember lets wait unread
    report = fetch(client_wasm, server, f"{route}?n={n}")
    assert f"length={n} body=b'\\x00\\x01\\x02" in report


def test_head_has_no_body(client_wasm: Path, server: str) -> None:
    assert fetch(client_wasm, server, "/echo", method="HEAD").endswith("length=0 body=b''")


def test_network_failures_are_error_codes(client_wasm: Path, server: str) -> None:
    assert fetch(client_wasm, "127.0.0.1:1", "/") == "error: ErrorCode_ConnectionRefused"
    assert fetch(client_wasm, "no-such-host.invalid", "/") == "error: ErrorCode_DnsError"


def test_requests_in_flight_together_are_waited_for_with_poll(client_wasm: Path,
                                                             server: str) -> None:
    paths = ["/echo?i=%d" % i for i in range(6)] + ["/slow", "/big?n=70000"]
    reports = both(client_wasm, "fetch-all", server, paths)
    assert len(reports) == 8 and all(r.startswith("status=") for r in reports)
    assert '"path": "/echo?i=5"' in reports[5] and "length=70000" in reports[7]


# Tests named test_ember_* run Ember alone: the TSan run takes them (the
# package's own threads are not instrumented and would be reported).

def test_ember_allows_64_requests_of_a_store_in_flight(client_wasm: Path, server: str) -> None:
    # The server holds every request until all 64 have arrived and then for
    # 3 s more, so the 64 exchanges are still running when the guest starts
    # its 65th and 66th however slowly it runs (as under TSan).
    Handler.release.clear()
    Handler.held = 0

    def release_when_all_arrived() -> None:
        deadline = time.monotonic() + 60
        while Handler.held < 64 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3)
        Handler.release.set()

    releaser = threading.Thread(target=release_when_all_arrived, daemon=True)
    releaser.start()
    try:
        reports = call(ember, ec, client_wasm, "fetch-all", server, ["/held"] * 66)
    finally:
        Handler.release.set()
        releaser.join()
    assert all(r.startswith("status=201") for r in reports[:64])
    assert reports[64:] == ["refused: ErrorCode_ConnectionLimitReached"] * 2


# A component declares the types of the functions it imports: here
# wasi:http functions with fewer parameters than they have, and with a
# result type that is not the one they return. Either is an error at the
# call (the package refuses both when linking; decision 52), never a read
# past the arguments or a result read as a number, and the store and its
# other instances go on working.
WRONG_TYPES = """
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "fields" (type $f (sub resource)))
    (export "[constructor]fields" (func (result (own $f))))
    (export "[method]fields.has" (func (param "self" (borrow $f)) (result bool)))
    (export "[static]fields.from-list" (func (param "entries" u32) (result u32)))))
  (alias export $types "fields" (type $fields))
  (core func $new (canon lower (func $types "[constructor]fields")))
  (core func $has (canon lower (func $types "[method]fields.has")))
  (core func $from (canon lower (func $types "[static]fields.from-list")))
  (core func $drop (canon resource.drop $fields))
  (core module $M
    (import "h" "new" (func $new (result i32)))
    (import "h" "has" (func $has (param i32) (result i32)))
    (import "h" "from" (func $from (param i32) (result i32)))
    (import "h" "drop" (func $drop (param i32)))
    (func (export "ok") (result i32) (call $drop (call $new)) (i32.const 1))
    (func (export "has") (result i32) (call $has (call $new)))
    (func (export "from") (result i32) (call $from (i32.const 5))))
  (core instance $m (instantiate $M (with "h" (instance
    (export "new" (func $new)) (export "has" (func $has))
    (export "from" (func $from)) (export "drop" (func $drop))))))
  (func (export "ok") (result u32) (canon lift (core func $m "ok")))
  (func (export "has") (result u32) (canon lift (core func $m "has")))
  (func (export "from") (result u32) (canon lift (core func $m "from"))))
"""


def test_ember_http_imports_of_other_types_are_errors_at_the_call() -> None:
    engine = ember.Engine()
    store = ember.Store(engine)
    store.set_wasi(ember.WasiConfig())
    store.set_wasi_http()
    linker = ec.Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    component = ec.Component(engine, WRONG_TYPES)

    def run(name: str) -> Any:
        func = linker.instantiate(store, component).get_func(store, name)
        assert func is not None
        return func(store)

    assert run("ok") == 1
    with pytest.raises(ember.WasmtimeError, match="fewer parameters than WASI gives it"):
        run("has")
    with pytest.raises(ember.WasmtimeError, match="expected a primitive value, got a compound"):
        run("from")
    assert run("ok") == 1


def test_ember_streams_many_bodies_at_once(client_wasm: Path, server: str) -> None:
    n = 2_000_000
    paths = [f"/big?n={n}", f"/chunked?n={n}", f"/close?n={n}", "/slow", "/echo"] * 2
    reports = call(ember, ec, client_wasm, "fetch-all", server, paths)
    for path, report in zip(paths, reports):
        assert report.startswith("status="), (path, report)
        if "?n=" in path:
            assert f"length={n} body=b'\\x00\\x01" in report


def test_ember_abandoned_requests_end_and_the_store_goes(client_wasm: Path,
                                                        server: str) -> None:
    paths = ["/big?n=5000000", "/slow", "/chunked?n=5000000", "/slow", "/close?n=5000000",
             "/big?n=5000000"]
    store, inst = instance(ember, ec, client_wasm)
    assert inst.get_func(store, "abandon")(store, server, paths) == 3000
    # The store, its exchanges mid-body and mid-wait, goes at once.
    store.close()
    started = time.monotonic()
    store, inst = instance(ember, ec, client_wasm)
    report = inst.get_func(store, "fetch")(store, "http", "GET", server, "/echo", [], b"", 0)
    assert report.startswith("status=201") and time.monotonic() - started < 5


def test_header_fields_rules(client_wasm: Path) -> None:
    checks = both(client_wasm, "header-checks").splitlines()
    assert "bad name: HeaderError_InvalidSyntax" in checks
    assert "host: HeaderError_Forbidden" in checks
    assert "request headers append: HeaderError_Immutable" in checks
    assert "entries: [('x-one', b'1'), ('x-one', b'2')]" in checks
    assert "timeouts: 5000000000 None" in checks


def test_ember_first_byte_timeout(client_wasm: Path, server: str) -> None:
    started = time.monotonic()
    report = call(ember, ec, client_wasm, "fetch", "http", "GET", server, "/slow", [], b"", 200)
    assert report == "error: ErrorCode_ConnectionReadTimeout"  # as the package says it
    assert time.monotonic() - started < 0.9


def test_first_byte_timeout_as_in_the_package(client_wasm: Path, server: str) -> None:
    report = fetch(client_wasm, server, "/slow", timeout_ms=200)
    assert report == "error: ErrorCode_ConnectionReadTimeout"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Path]]:
    """The test server behind TLS, with a self-signed certificate for
    127.0.0.1; its authority and the certificate's file."""
    work = tmp_path_factory.mktemp("tls")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    srv = Server(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{srv.server_address[1]}", cert
    srv.shutdown()


def https(mod: Any, comp_mod: Any, wasm: Path, authority: str, path: str = "/echo") -> str:
    report: str = call(mod, comp_mod, wasm, "fetch", "https", "GET", authority, path, [], b"", 0)
    return report


def test_https_to_a_server_that_speaks_no_tls(client_wasm: Path, server: str) -> None:
    assert https(ember, ec, client_wasm, server) == "error: ErrorCode_TlsProtocolError"
    assert https(wasmtime, wc, client_wasm, server) == "error: ErrorCode_TlsProtocolError"


def test_https_refuses_an_untrusted_certificate(client_wasm: Path, tls_server: Tuple[str, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    authority, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert https(ember, ec, client_wasm, authority) == "error: ErrorCode_TlsCertificateError"
    assert https(wasmtime, wc, client_wasm, authority) == "error: ErrorCode_TlsCertificateError"


def test_ember_https_with_a_trusted_certificate(client_wasm: Path,
                                                tls_server: Tuple[str, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    authority, cert = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert https(ember, ec, client_wasm, authority) == "error: ErrorCode_TlsCertificateError"
    # OpenSSL's SSL_CERT_FILE names the roots: now the request goes through.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    report = https(ember, ec, client_wasm, authority)
    assert report.startswith("status=201 headers=[('x-echo', 'yes')]")
    assert '"path": "/echo"' in report
    assert "length=3000000" in https(ember, ec, client_wasm, authority, "/chunked?n=3000000")
    # The certificate names 127.0.0.1, not localhost.
    port = authority.rpartition(":")[2]
    assert https(ember, ec, client_wasm, f"localhost:{port}") in (
        "error: ErrorCode_TlsCertificateError", "error: ErrorCode_ConnectionRefused")


def test_a_request_without_authority_or_with_another_scheme(client_wasm: Path) -> None:
    assert fetch(client_wasm, "", "/") == "refused: NoneType"  # set-authority refuses ""
    report = both(client_wasm, "fetch", "ftp", "GET", "h:1", "/", [], b"", 0)
    assert report == "refused: ErrorCode_HttpProtocolError"


def test_add_wasi_http_defines_once_unless_shadowing() -> None:
    for mod, comp in ((wasmtime, wc), (ember, ec)):
        engine = mod.Engine()
        with comp.Linker(engine) as linker:
            linker.add_wasip2()
            linker.add_wasi_http()
            with pytest.raises(mod.WasmtimeError):
                linker.add_wasi_http()
            linker.allow_shadowing = True
            linker.add_wasi_http()
            with linker.root():
                with pytest.raises(mod.WasmtimeError):
                    linker.add_wasi_http()


def test_ember_set_wasi_http_on_a_closed_store() -> None:
    store = ember.Store(ember.Engine())
    store.set_wasi_http()
    store.close()
    with pytest.raises(ValueError):
        store.set_wasi_http()


def test_ember_run_gives_a_command_wasi_http_with_S_http(client_wasm: Path, server: str,
                                                         ember_cli: str) -> None:
    def run(*args: str) -> "subprocess.CompletedProcess[str]":
        return subprocess.run([ember_cli, "run", *args], capture_output=True, text=True,
                              timeout=300)
    p = run("-S", "http", str(client_wasm), server, "/echo?cli=1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("status=201") and '"path": "/echo?cli=1"' in p.stdout
    p = run(str(client_wasm), server, "/echo")  # without wasi:http
    assert p.returncode == 1 and "wasi:http/types@0.2.9" in p.stderr
    p = run("-S", "http", str(CLIENT / "http.wit"))  # not wasm at all
    assert p.returncode != 0
