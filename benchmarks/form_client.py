"""A simulated customer speaking Streamlit's own WebSocket protocol (no browser).

What Streamlit's front end does, reduced to what the customer form needs: ``GET /?t=<token>`` (cookies kept:
nginx's ``survey_node``, Streamlit's XSRF cookie), a WebSocket to ``/_stcore/stream`` (subprotocol
``streamlit``, the cookies and an ``Origin`` as a browser sends them), then one ``BackMsg.rerun_script`` per
user action carrying the query string, the page's script hash and the value of every widget set so far (the
front end's ``WidgetStateManager`` sends them all, the clicked button as a ``trigger_value``). The server
answers with ``ForwardMsg``s: ``new_session``, deltas (the form's elements, each widget with its id and
options) and ``script_finished`` (status 0 = the run ended, 2 = it ended early for a rerun, as after
``st.rerun()``). Radio buttons and multiselects carry the *formatted* option labels (``"4"``, ``"否"``).

    session = FormSession("http://127.0.0.1:8501", token)
    page_ready = await session.open()          # seconds until the form's first question is there
    await session.answer_all(rng, think=0)     # one run per answer, as a customer clicking
    submit = await session.submit()            # seconds until the thank-you shows
    await session.close()
"""

from __future__ import annotations

import asyncio
import gzip
import random
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

from ui.i18n import STRINGS

FINISHED = 0  # ScriptFinishedStatus.FINISHED_SUCCESSFULLY
FINISHED_EARLY_FOR_RERUN = 2
#: What the customer page shows (zh, the default language).
THANKS = STRINGS["thanks_title"][0]
BUSY = {STRINGS["busy_retry"][0], STRINGS["busy_draft"][0]}
LINK_INVALID = STRINGS["link_invalid"][0]
SUGGESTIONS = ("", "", "希望停电前早点通知", "抢修很及时，谢谢", "电费账单看不太懂", "营业厅排队时间太长")


class FormError(Exception):
    "The customer form did not behave as a customer expects (kind in .kind)"

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass
class Widget:
    id: str
    kind: str  # radio, multiselect, text_area, button, …
    options: list[str]
    key: str  # the user key, e.g. q_overall (the widget id ends in it)


async def http_get(url: str, cookies: dict[str, str], *, timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """One ``GET`` (HTTP/1.1, gzip accepted, ``Connection: close``); status, headers (lower-case names,
    ``set-cookie`` a list) and the body as sent (decompressed when gzip)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n"
            + (f"Cookie: {cookie}\r\n" if cookie else "")
            + "\r\n"
        )
        writer.write(request.encode("latin-1"))
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        body = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict = {"set-cookie": []}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            if name.lower() == "set-cookie":
                headers["set-cookie"].append(value.strip())
            else:
                headers[name.lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return status, headers, body


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2


@dataclass
class FormSession:
    """One customer's browser tab on the form behind ``base_url/?t=<token>``."""

    base_url: str
    token: str
    timeout: float = 60.0
    cookies: dict[str, str] = field(default_factory=dict)
    node: str | None = None  # the worker that served the page (nginx's X-Survey-Node), None without nginx
    widgets: dict[str, Widget] = field(default_factory=dict)
    answered: dict[str, object] = field(default_factory=dict)  # question id → the label(s) chosen
    alerts: list[str] = field(default_factory=list)  # alert bodies of the last run
    runs: int = 0
    _states: dict[str, WidgetState] = field(default_factory=dict)
    _page_hash: str = ""
    _ws: object = None
    _cache: dict[str, ForwardMsg] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)  # widget keys in the order the last run drew them

    async def open(self) -> float:
        """Load the page and run the script once; seconds until the form's questions are there."""
        start = time.perf_counter()
        status, headers, _ = await http_get(
            f"{self.base_url}/?t={self.token}", self.cookies, timeout=self.timeout
        )
        if status != 200:
            raise FormError("http", f"GET / answered {status}")
        self._keep_cookies(headers)
        self.node = headers.get("x-survey-node") or None
        ws_url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
        try:
            self._ws = await connect(
                ws_url,
                subprotocols=["streamlit"],
                additional_headers={
                    "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                    "Origin": self.base_url,
                },
                max_size=None,
                open_timeout=self.timeout,
            )
        except Exception as e:  # refused, reset, handshake timeout, 5xx
            raise FormError("websocket", repr(e)) from e
        await self._run()
        if LINK_INVALID in self.alerts or not any(k.startswith("q_") for k in self.widgets):
            raise FormError("no form", "; ".join(self.alerts))
        return time.perf_counter() - start

    def _keep_cookies(self, headers: dict) -> None:
        for line in headers.get("set-cookie", []):
            name, _, value = line.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()

    def next_question(self) -> Widget | None:
        """The first question drawn by the last run that has no answer yet (skip logic adds questions)."""
        for key in self._order:
            if key.startswith("q_") and key[2:] not in self.answered:
                return self.widgets[key]
        return None

    async def answer(self, widget: Widget, value: str | list[str]) -> float:
        """Set one widget as a click would; seconds until the run it causes has ended."""
        state = WidgetState(id=widget.id)
        if widget.kind == "multiselect":
            state.string_array_value.data.extend(value)
        else:
            state.string_value = value
        self._states[widget.id] = state
        self.answered[widget.key[2:]] = value
        return await self._run()

    async def answer_all(self, rng: random.Random, *, think: float = 0.0) -> list[float]:
        """Answer every question the form shows, in order, waiting ``think`` seconds (±50 %) before each
        click; the seconds each answer's run took."""
        took = []
        while (widget := self.next_question()) is not None:
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            took.append(await self.answer(widget, choose(widget, rng)))
        return took

    async def submit(self) -> float:
        """Press 提交问卷; seconds until the thank-you shows (:class:`FormError` when it does not)."""
        start = time.perf_counter()
        await self._run(trigger=self.widgets["submit"].id)
        if THANKS not in self.alerts:
            kind = "busy" if BUSY & set(self.alerts) else "refused"
            raise FormError(kind, "; ".join(self.alerts) or "no thank-you")
        return time.perf_counter() - start

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def _run(self, *, trigger: str | None = None) -> float:
        """One rerun with every widget's value; returns when a run has finished (not one ended for a rerun)."""
        message = BackMsg()
        client_state = message.rerun_script
        client_state.query_string = f"t={self.token}"
        client_state.page_script_hash = self._page_hash
        client_state.widget_states.widgets.extend(self._states.values())
        if trigger:
            client_state.widget_states.widgets.add(id=trigger, trigger_value=True)
        start = time.perf_counter()
        await self._ws.send(message.SerializeToString())
        self._reset_run()
        while True:
            try:
                data = await asyncio.wait_for(self._ws.recv(), self.timeout)
            except TimeoutError as e:
                raise FormError("timeout", f"no end of run in {self.timeout:.0f} s") from e
            except Exception as e:  # connection closed
                raise FormError("websocket", repr(e)) from e
            msg = ForwardMsg.FromString(data)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":  # a message the client was told to keep
                msg = self._cache[msg.ref_hash]
                kind = msg.WhichOneof("type")
            elif msg.metadata.cacheable:
                self._cache[msg.hash] = msg
            if kind == "new_session":
                self._page_hash = msg.new_session.page_script_hash
                self._reset_run()
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
            elif kind == "script_finished":
                if msg.script_finished == FINISHED:
                    self.runs += 1
                    return time.perf_counter() - start
                if msg.script_finished != FINISHED_EARLY_FOR_RERUN:
                    raise FormError("script", f"script_finished status {msg.script_finished}")

    def _reset_run(self) -> None:
        self.alerts = []
        self._order = []

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            raise FormError("exception", element.exception.message)
        if kind == "alert":
            self.alerts.append(element.alert.body)
            return
        proto = getattr(element, kind)
        widget_id = getattr(proto, "id", "") if kind != "markdown" else ""
        if widget_id.startswith("$$ID-"):
            key = widget_id.rsplit("-", 1)[-1]
            self.widgets[key] = Widget(widget_id, kind, list(getattr(proto, "options", [])), key)
            self._order.append(key)


def choose(widget: Widget, rng: random.Random) -> str | list[str]:
    """A customer's answer to one widget: a random option (one channel for the multiple choice), a short
    suggestion or nothing for the text."""
    if widget.kind == "multiselect":
        return [rng.choice(widget.options)]
    if widget.kind == "text_area":
        return rng.choice(SUGGESTIONS)
    if widget.options and widget.options[0] in ("是", "否"):  # yes/no: mostly no (fewer follow-on questions)
        return "是" if rng.random() < 0.25 else "否"
    return rng.choice(widget.options)
