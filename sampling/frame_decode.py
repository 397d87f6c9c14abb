"""Decoding a frame CSV piece by piece for :mod:`sampling.frame_stream`: the file's bytes as UTF-8 pieces cut
at line breaks, with read_frame's encoding decision (UTF-8, else GB18030) taken from the first non-ASCII piece on
and a ``mixed_encoding`` / ``not_text`` problem naming the line where a later piece breaks it (pure)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

from sampling.frame_read import LEADING_BLANK_LINES, _first_utf8_line, _size, codec_name
from sampling.frame_schema import Problem, make_problem

#: Bytes read from the file at a time (then cut after the last line break).
PIECE_BYTES = 4 * 2**20
#: A physical line longer than this (past the head) is refused: it would have to be held whole.
MAX_STREAM_LINE_BYTES = 64 * 2**20
_STREAMED_CODECS = ("utf-8", "gb18030")
_LEADING_BLANK = re.compile(LEADING_BLANK_LINES.pattern.encode())  # the same lines, in the UTF-8 payload
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


class _Stop(Exception):
    """A file-level problem ends the reading."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message_en)
        self.problem = problem


def _pieces(path: Path, offset: int, line0: int = 0) -> Iterator[tuple[bytes, int, int]]:
    """``(piece, lines before it, byte offset)`` from ``offset`` on: pieces end after a ``\\n`` but the last."""
    rest = b""
    with path.open("rb") as f:
        f.seek(offset)
        while block := f.read(PIECE_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                if len(block) > MAX_STREAM_LINE_BYTES:
                    limit = _size(MAX_STREAM_LINE_BYTES)
                    raise _Stop(make_problem("line_too_long", row=line0 + 1, limit=limit))
                rest = block
                continue
            yield block[:cut], line0, offset
            line0 += block.count(b"\n", 0, cut)
            offset += cut
            rest = block[cut:]
    if rest:
        yield rest, line0, offset


def _bad_utf8_line(piece: bytes, line0: int) -> int | None:
    """The file line of the first byte of ``piece`` that is not UTF-8, if any."""
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError as exc:
        return line0 + piece.count(b"\n", 0, exc.start) + 1
    return None


def _utf8_line(piece: bytes, line0: int, bom: bool) -> int | None:
    """The file line of the first plausibly UTF-8 Chinese line of ``piece`` (read_frame's ``_first_utf8_line``)."""
    found = _first_utf8_line(("\ufeff" if bom else "") + piece.decode("utf-8", errors="replace"))
    return None if found is None else line0 + found


class _Decoder:
    """The file's text as UTF-8 pieces (BOM removed); ``problem`` is set when it is not text in one encoding."""

    def __init__(self, path: Path, encoding: str | None, bom: bool) -> None:
        self.path, self.encoding, self.bom = path, encoding, bom
        self.codec = None if encoding is None else codec_name(encoding)
        self.problem: Problem | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self.codec is not None:
                yield from self._explicit()
            else:
                yield from self._detected()
        except _Stop as stop:
            self.problem = stop.problem

    def _start(self) -> int:
        return 3 if self.bom and self.codec in (None, "utf-8") else 0

    def _explicit(self) -> Iterator[bytes]:
        for piece, line0, _ in _pieces(self.path, self._start()):
            try:
                text = piece.decode(self.codec)
            except UnicodeDecodeError as exc:
                row = line0 + piece.count(b"\n", 0, exc.start) + 1
                raise _Stop(make_problem("bad_encoding", row=row, encoding=self.encoding)) from None
            if line0 == 0:
                text = text.lstrip("\ufeff")
            yield piece if self.codec == "utf-8" and line0 else text.encode("utf-8")

    def _detected(self) -> Iterator[bytes]:
        codec = None  # None while every byte so far is ASCII (the same text in both encodings)
        for piece, line0, offset in _pieces(self.path, self._start()):
            bom = self.bom and line0 == 0
            if codec is None:
                if piece.isascii():
                    yield piece
                    continue
                codec = self._decide(offset, line0)
            if codec == "utf-8":
                bad = _bad_utf8_line(piece, line0)
                if bad is not None:  # a plausible UTF-8 line came before it
                    raise _Stop(make_problem("mixed_encoding", row=bad))
                yield piece
                continue
            utf8 = _utf8_line(piece, line0, bom)  # after the first non-UTF-8 line: read_frame's max(…)
            if utf8 is not None:
                raise _Stop(make_problem("mixed_encoding", row=utf8))
            try:
                text = piece.decode("gb18030")
            except UnicodeDecodeError as exc:
                row = line0 + piece.count(b"\n", 0, exc.start) + 1
                later = next(
                    (u for p, l0, _ in _pieces(self.path, offset + len(piece), line0 + piece.count(b"\n"))
                     if (u := _utf8_line(p, l0, False)) is not None),
                    None,
                )  # fmt: skip
                code = "not_text" if later is None else "mixed_encoding"
                raise _Stop(make_problem(code, row=row if later is None else later)) from None
            yield text.encode("utf-8")

    def _decide(self, offset: int, line0: int) -> str:
        """UTF-8 when a plausible UTF-8 line comes before the first invalid one (or none is invalid)."""
        for piece, l0, _ in _pieces(self.path, offset, line0):
            utf8 = _utf8_line(piece, l0, self.bom and l0 == 0)
            bad = _bad_utf8_line(piece, l0)
            if bad is not None:
                return "utf-8" if utf8 is not None and utf8 < bad else "gb18030"
            if utf8 is not None:
                return "utf-8"
        return "utf-8"


class _PayloadIO(io.RawIOBase):
    """A binary file over an iterator of byte pieces (what the CSV parsers read)."""

    def __init__(self, first: bytes, rest: Iterator[bytes]) -> None:
        self._buffer, self._rest = memoryview(first), rest

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:  # noqa: ANN001 (a writable buffer)
        while not len(self._buffer):
            piece = next(self._rest, None)
            if piece is None:
                return 0
            self._buffer = memoryview(piece)
        n = min(len(out), len(self._buffer))
        out[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _payload_file(head: bytes, rest: Iterator[bytes] | None) -> io.BufferedReader:
    """The payload as a buffered binary file: its reads return all the bytes asked for until the end
    (pyarrow's streaming reader stopped after ~160 MB of a 760 MB file on the raw file's short reads)."""
    return io.BufferedReader(_PayloadIO(head, rest or iter(())), buffer_size=2**20)


def _open_payload(decoder: _Decoder) -> tuple[int, bytes, Iterator[bytes] | None]:
    """(blank lines above the first text line, the payload's first 64 KB or more, the rest of the payload or
    None when the head is all of it)."""
    pieces = iter(decoder)
    leading, head = 0, b""
    for piece in pieces:  # pieces end after a line break: a blank line is never cut
        head += piece
        blank = _LEADING_BLANK.match(head).end()
        leading += len(_LINE_BREAK.findall(head, 0, blank))
        head = head[blank:]
        if head:
            break
    for piece in pieces:
        if len(head) >= 65536:
            return leading, head, _chain(piece, pieces)
        head += piece
    return leading, head, None


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
