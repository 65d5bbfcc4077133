"""The wasi:http test client: sends requests with wasi:http and reports
what came back as text (status, the headers the test server sets, body),
or the error-code the host answered. As a command, `http.wasm AUTHORITY
PATH` prints the report of a GET."""
import sys

import wit_world
from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import outgoing_handler, poll, streams, types

METHODS = {"GET": types.Method_Get(), "POST": types.Method_Post(), "PUT": types.Method_Put(),
           "DELETE": types.Method_Delete(), "HEAD": types.Method_Head()}
SCHEMES = {"http": types.Scheme_Http(), "https": types.Scheme_Https()}


def start(scheme, method, authority, path, headers, body, timeout_ms=0):
    """Hands a request to the host; writes its body afterwards, as streaming
    clients do (the host must wait for outgoing-body.finish)."""
    request = types.OutgoingRequest(types.Fields.from_list(
        [(k, v.encode()) for k, v in headers]))
    request.set_method(METHODS.get(method) or types.Method_Other(method))
    request.set_scheme(SCHEMES.get(scheme) or types.Scheme_Other(scheme))
    request.set_authority(authority)
    request.set_path_with_query(path)
    outgoing = request.body()
    options = None
    if timeout_ms:
        options = types.RequestOptions()
        options.set_first_byte_timeout(timeout_ms * 1_000_000)
    future = outgoing_handler.handle(request, options)
    with outgoing.write() as out:
        for i in range(0, len(body), 4096):
            out.blocking_write_and_flush(body[i:i + 4096])
    types.OutgoingBody.finish(outgoing, None)
    return future


def read_all(response: types.IncomingResponse) -> bytes:
    body = response.consume()
    data = b""
    with body.stream() as stream:
        while True:
            try:
                chunk = stream.read(65536)
            except Err as e:
                assert isinstance(e.value, streams.StreamError_Closed), e.value
                break
            if not chunk:
                with stream.subscribe() as ready:
                    ready.block()
            data += chunk
    types.IncomingBody.finish(body)
    return data


def report(future: types.FutureIncomingResponse) -> str:
    answer = future.get()
    assert isinstance(answer, Ok), answer
    if isinstance(answer.value, Err):
        return f"error: {type(answer.value.value).__name__}"
    response = answer.value.value
    seen = {k: v.decode() for k, v in response.headers().entries() if k.startswith("x-")}
    data = read_all(response)
    return (f"status={response.status()} headers={sorted(seen.items())} "
            f"length={len(data)} body={data[:300]!r}")


class WitWorld(wit_world.WitWorld):
    def fetch(self, scheme, method, authority, path, headers, body, timeout_ms):
        try:
            future = start(scheme, method, authority, path, headers, body, timeout_ms)
        except Err as e:
            return f"refused: {type(e.value).__name__}"
        with future.subscribe() as ready:
            ready.block()
        return report(future)

    def fetch_all(self, authority, paths):
        futures = []
        for path in paths:
            try:
                futures.append(start("http", "GET", authority, path, [], b""))
            except Err as e:
                futures.append(f"refused: {type(e.value).__name__}")
        pending = {i: f.subscribe() for i, f in enumerate(futures) if not isinstance(f, str)}
        while pending:
            keys = list(pending)
            for j in poll.poll([pending[k] for k in keys]):
                pending.pop(keys[j]).__exit__(None, None, None)
        return [f if isinstance(f, str) else report(f) for f in futures]

    def abandon(self, authority, paths):
        futures = [start("http", "GET", authority, p, [], b"") for p in paths]
        read = 0
        for i, future in enumerate(futures):
            if i % 2:
                future.__exit__(None, None, None)  # dropped before the response
                continue
            with future.subscribe() as ready:
                ready.block()
            answer = future.get()
            if isinstance(answer, Ok) and isinstance(answer.value, Ok):
                body = answer.value.value.consume()
                with body.stream() as stream:
                    with stream.subscribe() as more:
                        more.block()
                    read += len(stream.read(1000))
        return read

    def header_checks(self):
        out = []

        def attempt(label, f):
            try:
                f()
                out.append(f"{label}: ok")
            except Err as e:
                out.append(f"{label}: {type(e.value).__name__}")

        h = types.Fields()
        attempt("append", lambda: h.append("X-One", b"1"))
        attempt("append again", lambda: h.append("x-one", b"2"))
        attempt("bad name", lambda: h.append("bad name", b"v"))
        attempt("bad value", lambda: h.append("x-two", b"a\nb"))
        attempt("forbidden", lambda: h.append("Connection", b"close"))
        attempt("host", lambda: h.set("host", [b"example.com"]))
        attempt("set", lambda: h.set("x-two", [b"a", b"b"]))
        out.append(f"get: {h.get('X-ONE')} has: {h.has('x-two')} {h.has('x-three')}")
        attempt("delete", lambda: h.delete("x-two"))
        out.append(f"entries: {h.entries()}")
        copy = h.clone()
        attempt("clone append", lambda: copy.append("x-three", b"3"))
        out.append(f"clone: {copy.entries()} original: {h.entries()}")
        request = types.OutgoingRequest(h)
        frozen = request.headers()
        attempt("request headers append", lambda: frozen.append("x-four", b"4"))
        attempt("from-list bad", lambda: types.Fields.from_list([("ok", b"1"), ("b d", b"2")]))
        attempt("from-list forbidden", lambda: types.Fields.from_list([("upgrade", b"x")]))
        attempt("set-method other", lambda: request.set_method(types.Method_Other("PURGE")))
        attempt("set-method bad", lambda: request.set_method(types.Method_Other("BAD METHOD")))
        out.append(f"method: {type(request.method()).__name__}")
        attempt("path", lambda: request.set_path_with_query("/a?b=c"))
        out.append(f"path: {request.path_with_query()} authority: {request.authority()}")
        attempt("body", lambda: request.body())
        attempt("body twice", lambda: request.body())
        options = types.RequestOptions()
        attempt("timeout", lambda: options.set_connect_timeout(5_000_000_000))
        out.append(f"timeouts: {options.connect_timeout()} {options.first_byte_timeout()}")
        return "\n".join(out)


class Run(exports.Run):
    def run(self) -> None:
        authority, path = sys.argv[1], sys.argv[2]
        print(WitWorld().fetch("http", "GET", authority, path, [], b"", 0))
