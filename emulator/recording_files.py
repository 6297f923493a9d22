"""The files of stopped recordings: silence of the recording's length, in its format.

Asterisk writes ``<name>.<format>`` to its spool's ``recording/`` directory (``record.jsonl``);
the emulator writes the same name with silence, so whatever serves, copies or deletes the
files has something real to work on.  The silence is written as a sparse file (the header,
then the length extended with zeros), so an hour of recordings costs almost no disk.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

RATE = 8000  # samples per second, as a telephone call
# Bytes per second of audio per format (wav and sln are 16-bit linear; the others 8 bits, GSM
# 33 bytes per 20 ms frame).
BYTES_PER_S = {"wav": 16000, "sln": 16000, "slin": 16000, "ulaw": 8000, "alaw": 8000, "gsm": 1650}


CHUNK = 64 * 1024


def content_type(format: str) -> str:
    """What Asterisk's ``GET /recordings/stored/{name}/file`` says a file is: the format's
    media type and its extension (``audio/wav``, ``audio/gsm``; res/ari/resource_recordings.c)."""
    return f"audio/{format}"


def path_of(directory: Path, name: str, format: str) -> Path:
    return directory / f"{name}.{format}"


def write_silence(directory: Path, name: str, format: str, duration_s: float) -> Path:
    """Write ``<name>.<format>`` holding ``duration_s`` of silence; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = path_of(directory, name, format)
    data = int(duration_s * BYTES_PER_S.get(format, 16000))
    with path.open("wb") as file:
        if format == "wav":
            file.write(_wav_header(data))
        elif format == "ulaw" or format == "alaw":
            # Silence is not byte 0 in these codings (0xFF in mu-law, 0xD5 in A-law).
            file.write((b"\xff" if format == "ulaw" else b"\xd5") * data)
            return path
        file.truncate(file.tell() + data)
    return path


def silence_size(format: str, duration_s: float) -> int:
    """The length of :func:`silence`'s bytes."""
    data = int(duration_s * BYTES_PER_S.get(format, 16000))
    return data + (len(_wav_header(data)) if format == "wav" else 0)


def silence(format: str, duration_s: float) -> Iterator[bytes]:
    """The bytes :func:`write_silence` writes, in chunks: a recording's file when the emulator
    keeps no directory of them (nothing on disk, the same answer)."""
    data = int(duration_s * BYTES_PER_S.get(format, 16000))
    if format == "wav":
        yield _wav_header(data)
    fill = b"\xff" if format == "ulaw" else b"\xd5" if format == "alaw" else b"\x00"
    while data > 0:
        size = min(data, CHUNK)
        yield fill * size
        data -= size


def _wav_header(data_bytes: int) -> bytes:
    """A RIFF/WAVE header for 16-bit mono PCM at 8 kHz, as Asterisk's ``wav`` format."""
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
