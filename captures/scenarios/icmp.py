#!/usr/bin/python3
"""The two applications of captures/record-icmp.sh, one real kernel socket each.

    icmp.py client FAMILY ADDR PORT OUT [--ttl N] [--recv-timeout S]
    icmp.py server FAMILY PORT BYTES OUT [--user-timeout-ms MS]

The client connects to ADDR:PORT (FAMILY 4 or 6; a TTL / hop limit of N when
given), then, once connected, sends a one-line request and reads until EOF or
S seconds without a byte. It writes one line to OUT: `connect: ERRNO` when
connect() failed (the errno's name, as Linux reported it), else
`connected; read N bytes: EOF` or `...: ERRNO` / `...: timeout after S s`.
It then holds its socket open 3 s more, so that `ss` can see it.

The server listens on PORT, accepts one connection, reads the request, sends
BYTES bytes and closes; OUT gets `sent N bytes` or `send: ERRNO after N bytes`.
--user-timeout-ms sets TCP_USER_TIMEOUT on the accepted socket, so a transfer
that cannot get through fails in that time instead of after tcp_retries2.
"""

import errno
import socket
import sys
import time


def name(e: OSError) -> str:
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno is not None else type(e).__name__


def write(path: str, line: str) -> None:
    with open(path, "w") as f:
        f.write(line + "\n")


def opt(args: list, flag: str, default):
    if flag in args:
        return type(default)(args[args.index(flag) + 1])
    return default


def client(args: list) -> None:
    family, addr, port, out = int(args[0]), args[1], int(args[2]), args[3]
    ttl = opt(args, "--ttl", 0)
    recv_timeout = opt(args, "--recv-timeout", 10.0)
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    s = socket.socket(af, socket.SOCK_STREAM)
    if ttl:
        if family == 4:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    start = time.monotonic()
    try:
        s.connect((addr, port))
    except OSError as e:
        write(out, f"connect: {name(e)} after {time.monotonic() - start:.3f} s")
        time.sleep(3)
        return
    got = 0
    s.settimeout(recv_timeout)
    try:
        s.sendall(b"GET /big\r\n")
        while True:
            chunk = s.recv(65536)
            if not chunk:
                result = "EOF"
                break
            got += len(chunk)
    except socket.timeout:
        result = f"timeout after {recv_timeout:g} s without a byte"
    except OSError as e:
        result = name(e)
    write(out, f"connected; read {got} bytes: {result} at {time.monotonic() - start:.3f} s")
    time.sleep(3)
    s.close()


def server(args: list) -> None:
    family, port, size, out = int(args[0]), int(args[1]), int(args[2]), args[3]
    user_timeout = opt(args, "--user-timeout-ms", 0)
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    ls = socket.socket(af, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("", port))
    ls.listen(8)
    c, _ = ls.accept()
    if user_timeout:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, user_timeout)
    c.recv(1024)
    sent = 0
    data = b"x" * size
    start = time.monotonic()
    try:
        while sent < size:
            sent += c.send(data[sent:])
        # send() returns once the bytes are queued: wait until the peer has them all, or the connection dies.
        while True:
            err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, "")
            info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            state = info[0]  # tcpi_state: 1 ESTABLISHED, 8 CLOSE_WAIT; a dead connection's queue is purged too
            unacked = int.from_bytes(info[24:28], "little")  # tcpi_unacked
            if unacked == 0 and state in (1, 8):
                break
            time.sleep(0.05)
        write(out, f"sent {sent} bytes, all acknowledged at {time.monotonic() - start:.3f} s")
    except OSError as e:
        write(out, f"send: {name(e)} after {sent} bytes queued, at {time.monotonic() - start:.3f} s")
    time.sleep(3)
    c.close()


if __name__ == "__main__":
    {"client": client, "server": server}[sys.argv[1]](sys.argv[2:])
