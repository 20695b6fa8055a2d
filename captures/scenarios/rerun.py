#!/usr/bin/python3
"""One run of the loopback HTTP test that ../record-rerun.sh records ten times.

    ip netns exec synfin-rerun /usr/bin/python3 rerun.py

A server process and a client process on 127.0.0.1:8080: GET / , a 200 with
"Connection: close", then both ends close() at one shared moment (100 ms after
the reply is sent, by CLOCK_MONOTONIC, which both processes share), each
spinning on the clock for the last stretch so neither is late by a scheduler
tick. Which FIN leaves first is left to the two processes' race.
"""
import os
import socket
import time

PORT = 8080
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
BODY = b"hello\n"
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n" + BODY


def until(deadline):
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        if left > 0.005:
            time.sleep(left - 0.005)


def main():
    L = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    L.bind(("127.0.0.1", PORT))
    L.listen(8)
    r, w = os.pipe()  # the server tells the client the moment to close
    pid = os.fork()
    if pid == 0:
        os.close(w)
        c = socket.create_connection(("127.0.0.1", PORT))
        c.sendall(REQUEST)
        got = b""
        while not got.endswith(BODY):
            got += c.recv(4096)
        deadline = float(os.read(r, 64).decode())
        until(deadline)
        c.close()
        time.sleep(0.5)
        os._exit(0)
    os.close(r)
    s, _ = L.accept()
    req = b""
    while not req.endswith(b"\r\n\r\n"):
        req += s.recv(4096)
    s.sendall(REPLY)
    deadline = time.monotonic() + 0.1
    os.write(w, repr(deadline).encode())
    until(deadline)
    s.close()
    os.waitpid(pid, 0)
    L.close()


if __name__ == "__main__":
    main()
