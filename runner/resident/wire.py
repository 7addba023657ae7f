"""What a caller and the resident say to each other over the socket.

The caller sends one request: a 4-byte length, then JSON (argv, env, cwd, umask, the encodings
of its standard streams), with its standard input, output and error attached as descriptors
(SCM_RIGHTS). The resident answers with JSON lines: {"pid": N} once its child runs the command,
then {"exit": code} or {"signal": number} when the child has ended."""

from __future__ import annotations

import json
import os
import socket
import struct

MAX_REQUEST = 4 << 20  # an environment of a few MB at most
_LENGTH = struct.Struct("!I")


class WireError(Exception):
    pass


def send_request(sock: socket.socket, request: dict, fds: list[int]) -> None:
    body = json.dumps(request).encode()
    socket.send_fds(sock, [_LENGTH.pack(len(body)) + body], fds)


def receive_request(sock: socket.socket, fds_expected: int = 3) -> tuple[dict, list[int]]:
    """The request and the descriptors that came with it (the caller of this owns them)."""
    data, fds, _flags, _address = socket.recv_fds(sock, 65536, fds_expected)
    try:
        if len(data) < _LENGTH.size:
            raise WireError("a request too short to read")
        (length,) = _LENGTH.unpack_from(data)
        if length > MAX_REQUEST:
            raise WireError(f"a request of {length} bytes")
        body = bytearray(data[_LENGTH.size:])
        while len(body) < length:
            chunk = sock.recv(min(65536, length - len(body)))
            if not chunk:
                raise WireError("the caller left mid-request")
            body.extend(chunk)
        request = json.loads(bytes(body[:length]))
        if not isinstance(request, dict) or len(fds) != fds_expected:
            raise WireError("a request without its three standard streams")
        return request, fds
    except (WireError, ValueError):
        for fd in fds:
            _close(fd)
        raise WireError("a malformed request") from None


def send_line(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
