"""A scripted language-model server on 127.0.0.1, for tests that go through the real SDKs.

It speaks enough of two wire protocols for the official clients to accept its answers:
OpenAI chat completions (`POST /v1/chat/completions`, with `response_format` json_schema and
`tools` / `tool_calls`) and Anthropic messages (`POST /v1/messages`, `tool_use` blocks). Each
request takes the next `Reply` from a queue (llm's MockModel idea) and is recorded, so a test
states what the model says and then checks what was sent: the prompt, the repair message, the
absence of a planted secret.

Replies describe meaning, not wire format: `Reply.answer({...})` becomes JSON content when the
request asked for `response_format`, a tool call when it offered tools, and a `tool_use` block
on the Anthropic side. Failure modes: `Reply.error(429)`, `Reply.error(500)`, `Reply.raw("{not
json")`, `Reply.refusal("...")`, `Reply.slow(seconds, then)`, `Reply.cut_off()`; `reject_response_format=True`
plays a server without json_schema support. An empty queue answers 500 "no scripted reply",
so a test that asks more than it scripted fails loudly.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    kind: str
    payload: Any = None
    status: int = 200
    delay: float = 0.0
    then: Reply | None = None

    @classmethod
    def answer(cls, data: dict[str, Any]) -> Reply:
        """A structured answer: JSON content, a tool call or a tool_use block, as asked."""
        return cls("answer", data)

    @classmethod
    def text(cls, text: str) -> Reply:
        return cls("text", text)

    @classmethod
    def raw(cls, text: str) -> Reply:
        """Text placed where the structured answer goes (content or tool arguments) verbatim."""
        return cls("raw", text)

    @classmethod
    def refusal(cls, message: str = "I can't help with that.") -> Reply:
        return cls("refusal", message)

    @classmethod
    def cut_off(cls, text: str = '{"description": "unfinish') -> Reply:
        """An answer stopped by the output limit (finish_reason length / max_tokens)."""
        return cls("cut_off", text)

    @classmethod
    def error(cls, status: int, message: str = "scripted failure") -> Reply:
        return cls("error", message, status=status)

    @classmethod
    def slow(cls, seconds: float, then: Reply | None = None) -> Reply:
        return cls("slow", None, delay=seconds, then=then or cls.text("late"))


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str

    @property
    def prompt_text(self) -> str:
        """Every message text of the request, system included, joined."""
        parts: list[str] = []
        system = self.body.get("system")
        if isinstance(system, str):
            parts.append(system)
        for message in self.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
        return "\n".join(parts)


@dataclass
class FakeLLMServer:
    """Start with `with FakeLLMServer() as server:`; `server.script(...)` queues replies."""

    reject_response_format: bool = False
    replies: list[Reply] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------
    def __enter__(self) -> FakeLLMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start the server first"
        return int(self._httpd.server_address[1])

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- script and record ---------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self.replies.pop(0) if self.replies else Reply.error(500, "no scripted reply")

    def record(self, item: Recorded) -> None:
        with self._lock:
            self.requests.append(item)

    def all_bodies(self) -> str:
        """Every request body received, as sent: what a canary secret must never be in."""
        with self._lock:
            return "\n".join(r.raw for r in self.requests)

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        self.fake.record(
            Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
        )
        if self.fake.reject_response_format and "response_format" in body:
            message = "response_format json_schema is not supported by this server"
            self._send(400, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        reply = self.fake.next_reply()
        while reply.kind == "slow":
            self.fake.wait(reply.delay)
            assert reply.then is not None
            reply = reply.then
        if self.path.endswith("/chat/completions"):
            status, payload = _openai(reply, body, raw)
        elif self.path.endswith("/messages"):
            status, payload = _anthropic(reply, body, raw)
        else:
            status, payload = 404, {"error": {"message": f"no route {self.path}"}}
        self._send(status, payload)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _openai(reply: Reply, body: dict[str, Any], raw: str) -> tuple[int, dict[str, Any]]:
    if reply.kind == "error":
        return reply.status, {
            "error": {"message": reply.payload, "type": "server_error", "code": None}
        }
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    finish = "stop"
    tools = body.get("tools") or []
    if reply.kind == "refusal":
        message["refusal"] = reply.payload
    elif reply.kind in ("answer", "raw"):
        text = json.dumps(reply.payload) if reply.kind == "answer" else str(reply.payload)
        if tools:
            name = tools[0]["function"]["name"]
            message["tool_calls"] = [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
            ]
            finish = "tool_calls"
        else:
            message["content"] = text
    else:
        message["content"] = str(reply.payload)
        finish = "length" if reply.kind == "cut_off" else finish
    out = json.dumps(message)
    return 200, {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": _tokens(raw),
            "completion_tokens": _tokens(out),
            "total_tokens": _tokens(raw) + _tokens(out),
        },
    }


def _anthropic(reply: Reply, body: dict[str, Any], raw: str) -> tuple[int, dict[str, Any]]:
    if reply.kind == "error":
        kind = "rate_limit_error" if reply.status == 429 else "api_error"
        return reply.status, {"type": "error", "error": {"type": kind, "message": reply.payload}}
    tools = body.get("tools") or []
    stop = "end_turn"
    if reply.kind == "answer" and tools:
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_1", "name": tools[0]["name"], "input": reply.payload}
        ]
        stop = "tool_use"
    elif reply.kind == "answer":
        content = [{"type": "text", "text": json.dumps(reply.payload)}]
    elif reply.kind == "refusal":
        content = [{"type": "text", "text": str(reply.payload)}]
        stop = "refusal"
    else:
        content = [{"type": "text", "text": str(reply.payload)}]
        stop = "max_tokens" if reply.kind == "cut_off" else stop
    out = json.dumps(content)
    return 200, {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": _tokens(raw), "output_tokens": _tokens(out)},
    }
