"""Answers that are files, not JSON, in a replayed flow (``recording_file.jsonl``): the
recorder kept their status, the headers that say how a file is served, and instead of the
bytes the length and the first 44 (a wav file's RIFF header).

What must match: status, those headers, a JSON body when there is one, and for a wav file its
format (PCM, channels, rate, bits) and sizes that agree with its length.  The length itself
is the recording's duration, which a real run never hits to the sample (2.01 s recorded vs
the emulator's 2.00), so it is not compared.  A ``HEAD`` is judged by its status and headers
alone: Asterisk sends its 405's JSON body even after a HEAD (the recorder read it raw,
``body_after_head``), an aiohttp server never does, and a client must not read one."""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

#: As ``tests/realpbx/record_recording_file.py`` kept them (Date and Server vary run by run).
KEPT = (
    "Content-Type",
    "Content-Length",
    "Accept-Ranges",
    "Content-Range",
    "Content-Disposition",
    "Cache-Control",
    "Last-Modified",
    "Etag",
    "Allow",
)


def is_file_answer(response: Mapping[str, Any]) -> bool:
    return "headers" in response


def recorded_view(response: Mapping[str, Any]) -> dict[str, Any]:
    view = _base(response["method"], response["headers"])
    if "body_length" in response:
        view |= _wav(bytes.fromhex(response["body_head"]), int(response["body_length"]))
    elif response["method"] != "HEAD":
        view["body"] = response.get("body")
    return view


def emulated_view(method: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    view = _base(method, headers)
    if method == "HEAD":
        return view
    if headers.get("Content-Type", "").startswith("application/json"):
        view["body"] = json.loads(body) if body else None
    else:
        view |= _wav(body[:44], len(body))
    return view


def _base(method: str, headers: Mapping[str, str]) -> dict[str, Any]:
    # Asterisk spells it "Content-type" on some answers: header names are case-insensitive.
    kept = {k.title(): v for k, v in headers.items() if k.title() in KEPT}
    if "Content-Length" in kept and not kept.get("Content-Type", "").startswith("application/"):
        kept["Content-Length"] = "<the file's length>"
    if method == "HEAD":
        kept.pop("Content-Length", None)  # of the body Asterisk sends and aiohttp does not
    return {"headers": kept}


def _wav(head: bytes, length: int) -> dict[str, Any]:
    if head[:4] != b"RIFF" or len(head) < 44:
        return {"file": f"not a wav file ({length} bytes)"}
    riff_size = struct.unpack("<I", head[4:8])[0]
    data_size = struct.unpack("<I", head[40:44])[0]
    return {
        "file": "wav",
        "format": head[8:40].hex(),  # WAVE, fmt chunk: PCM, channels, rate, bits; "data"
        "sizes agree with the length": (riff_size, data_size) == (length - 8, length - 44),
    }
