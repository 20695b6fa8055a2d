#!/usr/bin/python3
"""Both endpoints of every capture scenario (run by ../record.sh, as root).

    SYNFIN_DONE=/tmp/x.done /usr/bin/python3 scenarios.py NAME

One process drives both ends: it enters the client namespace (synfin-c) or the
server namespace (synfin-s) with setns() before creating each socket, and a
socket stays in the namespace it was created in, so every segment really
crosses the veth pair between them and is handled by two independent kernel
TCP stacks.  Packet loss is made by pointing a neighbour entry at a MAC nobody
owns: the frame still crosses the veth (and is captured) but the peer drops it
as PACKET_OTHERHOST.

When the scenario is over, the process writes $SYNFIN_DONE and then sleeps
holding all its sockets, so record.sh can save `ss -tanoi` from both
namespaces before killing it.
"""
import ctypes
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

NS_C, NS_S = "synfin-c", "synfin-s"
IF_C, IF_S = "veth-c", "veth-s"
C4, S4 = "10.99.0.1", "10.99.0.2"
C6, S6 = "fd00:99::1", "fd00:99::2"
MAC_C, MAC_S = "02:00:00:00:00:01", "02:00:00:00:00:02"
BOGUS = "02:00:00:00:00:99"

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def log(*a):
    print(f"{time.monotonic():.3f}", *a, flush=True)


def enter(ns):
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns({ns}): {os.strerror(e)}")
    finally:
        os.close(fd)


def sock_in(ns, family=socket.AF_INET):
    enter(ns)
    return socket.socket(family, socket.SOCK_STREAM)


def listener(port, backlog=16, family=socket.AF_INET, rcvbuf=None):
    s = sock_in(NS_S, family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((S6 if family == socket.AF_INET6 else S4, port))
    s.listen(backlog)
    return s


def client_sock(sport, family=socket.AF_INET):
    s = sock_in(NS_C, family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((C6 if family == socket.AF_INET6 else C4, sport))
    return s


def connect(port, sport, family=socket.AF_INET, setup=None):
    s = client_sock(sport, family)
    if setup:
        setup(s)
    s.connect((S6 if family == socket.AF_INET6 else S4, port))
    return s


def _neigh(ns, addr, mac):
    dev = IF_C if ns == NS_C else IF_S
    subprocess.run(["ip", "-n", ns, "neigh", "replace", addr, "lladdr", mac,
                    "dev", dev, "nud", "permanent"], check=True)


def lose(ns):
    """Frames sent from ns toward its peer leave with a MAC nobody owns."""
    peer = S4 if ns == NS_C else C4
    _neigh(ns, peer, BOGUS)
    log("lose", ns)


def heal(ns):
    peer, mac = (S4, MAC_S) if ns == NS_C else (C4, MAC_C)
    _neigh(ns, peer, mac)
    log("heal", ns)


def recv_all(s, timeout=5.0):
    s.settimeout(timeout)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def expect_eof(s, timeout=5.0):
    s.settimeout(timeout)
    b = s.recv(4096)
    assert b == b"", f"expected EOF, got {b!r}"


def fast_keepalive(s):
    """Keep-alive after 1 s idle, a probe a second, 3 probes."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)


def close_client_first(c, s):
    """A four-way close, client first: the server reads EOF and closes 150 ms
    later (past its delayed ACK, so its ACK and FIN are separate segments)."""
    c.close()
    expect_eof(s)
    time.sleep(0.15)
    s.close()
    time.sleep(0.1)


def expect_timeout(c, timeout=10.0):
    """The socket's next recv() fails with ETIMEDOUT (its kernel gave up on the peer)."""
    c.settimeout(timeout)
    try:
        c.recv(4096)
        raise AssertionError("recv returned")
    except OSError as e:
        assert e.errno == 110, f"expected ETIMEDOUT, got {e!r}"
        log("client recv:", os.strerror(e.errno))


def done(*keep):
    """Signal record.sh, then hold every socket until killed."""
    with open(os.environ["SYNFIN_DONE"], "w") as f:
        f.write("done\n")
    log("done")
    while True:
        signal.pause()


REQ = b"GET /hello HTTP/1.0\r\n\r\n"
RESP = b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"


def exchange(c, s):
    """Small request/response on an established pair."""
    c.sendall(REQ)
    assert s.recv(4096) == REQ
    s.sendall(RESP)
    assert c.recv(4096) == RESP


# --------------------------------------------------------------------------
# scenarios: server port 9500+N, client source port 41000+N


def normal_close_client(port=9501, sport=41001, family=socket.AF_INET):
    L = listener(port, family=family)
    c = connect(port, sport, family)
    s, _ = L.accept()
    exchange(c, s)
    c.close()                      # client FIN
    expect_eof(s)
    time.sleep(0.15)               # past the delayed ACK: the server ACKs the FIN alone
    s.close()                      # server FIN -> four-way close
    time.sleep(0.1)
    done(L, s)


def normal_close_server():
    L = listener(9502)
    c = connect(9502, 41002)
    s, _ = L.accept()
    exchange(c, s)
    s.close()                      # server FIN first
    expect_eof(c)
    time.sleep(0.15)
    c.close()
    time.sleep(0.1)
    done(L, c)


def three_segment_close():
    L = listener(9503)
    c = connect(9503, 41003)
    s, _ = L.accept()
    exchange(c, s)
    got = []
    t = threading.Thread(target=lambda: got.append(s.recv(4096)))
    t.start()                      # server blocked in recv()
    time.sleep(0.1)
    c.close()                      # FIN: recv() returns 0 ...
    t.join()
    assert got == [b""]
    s.close()                      # ... and close() at once: ACK+FIN in one segment
    time.sleep(0.1)
    done(L, s)


def half_close():
    L = listener(9504)
    c = connect(9504, 41004)
    s, _ = L.accept()
    c.sendall(REQ)
    c.shutdown(socket.SHUT_WR)     # client FIN, but keeps reading
    assert s.recv(4096) == REQ
    expect_eof(s)
    for i in range(5):             # server keeps sending for ~200 ms
        s.sendall(b"chunk %d of the reply\n" % i)
        time.sleep(0.05)
    s.close()
    data = recv_all(c)
    assert data.count(b"chunk") == 5, data
    c.close()
    time.sleep(0.1)
    done(L, s, c)


def stuck_close_wait():
    L = listener(9505)
    c = connect(9505, 41005)
    s, _ = L.accept()
    exchange(c, s)
    c.close()
    expect_eof(s)                  # server reads EOF ... and never calls close()
    time.sleep(6.0)
    done(L, s)


def rst_linger0():
    L = listener(9506)
    c = connect(9506, 41006)
    s, _ = L.accept()
    exchange(c, s)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()                      # abortive close: RST
    try:
        s.recv(4096)
        raise AssertionError("server did not see the reset")
    except ConnectionResetError:
        pass
    time.sleep(0.1)
    done(L, s)


def rst_unread_data():
    L = listener(9507)
    c = connect(9507, 41007)
    s, _ = L.accept()
    c.sendall(REQ + b"X-Extra: never read by the server\r\n\r\n")
    time.sleep(0.05)
    assert s.recv(4) == REQ[:4]    # the server reads 4 bytes only
    s.sendall(RESP)
    time.sleep(0.05)
    s.close()                      # unread data in the receive queue: RST, not FIN
    time.sleep(0.05)
    try:
        c.recv(4096)
        c.recv(4096)
    except ConnectionResetError:
        pass
    time.sleep(0.1)
    done(L, c)


def refused():
    c = client_sock(41008)
    try:
        c.connect((S4, 9508))      # nothing listens there
        raise AssertionError("connect succeeded")
    except ConnectionRefusedError:
        log("ECONNREFUSED")
    time.sleep(0.1)
    done(c)


def syn_unanswered():
    L = listener(9509)
    lose(NS_C)                     # every SYN is dropped on the way to the server
    c = client_sock(41009)
    t0 = time.monotonic()
    try:
        c.connect((S4, 9509))
        raise AssertionError("connect succeeded")
    except (TimeoutError, socket.timeout) as e:
        log(f"connect: {e!r} after {time.monotonic() - t0:.1f} s")
    heal(NS_C)
    time.sleep(0.1)
    done(L, c)


def synack_unacked():
    L = listener(9510)
    lose(NS_S)                     # the server's SYN-ACKs never reach the client
    # One hand-made SYN from the client namespace: no client socket exists, so
    # nothing there would ever answer (or RST) a SYN-ACK.
    code = (
        "from scapy.all import Ether, IP, TCP, sendp\n"
        f"p = Ether(src='{MAC_C}', dst='{MAC_S}') / IP(src='{C4}', dst='{S4}', ttl=64, flags='DF', id=0) / "
        "TCP(sport=41010, dport=9510, flags='S', seq=1000000000, window=64240, "
        "options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (123456789, 0)), ('NOP', None), ('WScale', 7)])\n"
        f"sendp(p, iface='{IF_C}', verbose=False)\n"
    )
    subprocess.run(["ip", "netns", "exec", NS_C, sys.executable, "-c", code], check=True)
    log("SYN sent")
    time.sleep(3.6)                # SYN-ACK at 0, 1, 3 s (tcp_synack_retries=2)
    done(L)


def simultaneous_close():
    L = listener(9511)
    c = connect(9511, 41011)
    s, _ = L.accept()
    exchange(c, s)
    time.sleep(0.05)
    lose(NS_C)
    lose(NS_S)
    c.close()                      # both FINs leave at the same moment and are lost
    s.close()
    time.sleep(0.05)
    heal(NS_C)
    heal(NS_S)                     # the retransmitted FINs (same RTO) cross
    time.sleep(1.0)
    done(L)


def lost_final_ack():
    L = listener(9512)
    c = connect(9512, 41012)
    s, _ = L.accept()
    exchange(c, s)
    c.close()
    expect_eof(s)
    time.sleep(0.15)               # server ACKs the FIN on its own
    lose(NS_C)                     # the client's final ACK will be lost
    s.close()
    time.sleep(0.1)
    heal(NS_C)                     # before the server's FIN retransmission
    time.sleep(1.0)
    done(L, s)


def retransmission():
    L = listener(9513)
    c = connect(9513, 41013)
    s, _ = L.accept()
    c.sendall(b"part 1 of the request\n")
    assert s.recv(4096) == b"part 1 of the request\n"
    time.sleep(0.05)
    lose(NS_C)
    c.sendall(b"part 2 of the request\n")    # lost, retransmitted later
    time.sleep(0.3)
    heal(NS_C)
    s.settimeout(5)
    assert s.recv(4096) == b"part 2 of the request\n"
    s.sendall(RESP)
    assert c.recv(4096) == RESP
    close_client_first(c, s)
    done(L, s)


def keepalive():
    L = listener(9514)
    c = connect(9514, 41014, setup=fast_keepalive)
    s, _ = L.accept()
    exchange(c, s)
    time.sleep(3.5)                # idle: probes at ~1, 2, 3 s, each ACKed
    close_client_first(c, s)
    done(L, s)


def zero_window():
    L = listener(9515, rcvbuf=2048)   # inherited by the accepted socket
    c = connect(9515, 41015)
    s, _ = L.accept()
    total = 64 * 1024
    payload = bytes((i * 7) & 0xFF for i in range(total))
    t = threading.Thread(target=c.sendall, args=(payload,))
    t.start()
    time.sleep(2.5)                # server not reading: window closes, probes
    got = recv_all_n(s, total)
    assert got == payload
    t.join()
    close_client_first(c, s)
    done(L, s)


def recv_all_n(s, n):
    s.settimeout(10)
    out = b""
    while len(out) < n:
        b = s.recv(n - len(out))
        assert b, "early EOF"
        out += b
    return out


def tuple_reuse():
    L = listener(9516)
    c = connect(9516, 41016)
    s, _ = L.accept()
    exchange(c, s)
    s.close()                      # server closes first: server TIME_WAIT
    expect_eof(c)
    time.sleep(0.15)
    c.close()                      # client LAST_ACK -> CLOSED
    time.sleep(0.5)
    c2 = connect(9516, 41016)      # same 4-tuple, into the server's TIME_WAIT
    s2, _ = L.accept()
    exchange(c2, s2)
    close_client_first(c2, s2)
    done(L, s, s2)


def concurrent_200():
    n = 200
    L = listener(9517, backlog=256)
    handlers = []

    def handle(s):
        s.settimeout(10)
        req = s.recv(4096)
        s.sendall(b"reply to " + req)
        expect_eof(s)
        s.close()

    def serve():
        for _ in range(n):
            s, _ = L.accept()
            t = threading.Thread(target=handle, args=(s,))
            t.start()
            handlers.append(t)

    acceptor = threading.Thread(target=serve)
    acceptor.start()
    socks = []
    for i in range(n):             # 200 SYNs in a burst
        c = client_sock(42000 + i)
        c.setblocking(False)
        c.connect_ex((S4, 9517))
        socks.append(c)
    pending = set(socks)
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        _, w, _ = select.select([], list(pending), [], 1)
        pending -= set(w)
    assert not pending
    for c in socks:
        assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        c.setblocking(True)
        c.settimeout(10)
    for i, c in enumerate(socks):  # all 200 requests
        c.sendall(b"req %03d\n" % i)
    for i, c in enumerate(socks):  # all 200 replies
        assert c.recv(4096) == b"reply to req %03d\n" % i
    for c in socks:                # all 200 closes
        c.close()
    acceptor.join()
    for t in handlers:
        t.join()
    time.sleep(0.2)
    done(L)


def ipv6_normal_close():
    normal_close_client(9518, 41018, socket.AF_INET6)


def accept_queue_full():
    # listen(1): Linux calls the accept queue full when queued > backlog, so
    # it holds 2. The server never calls accept().
    L = listener(9519, backlog=1)
    a = connect(9519, 41019)       # A: queued (1): room for one more
    time.sleep(0.1)
    # B and C must both reach SYN_RECV while the queue still has room (a SYN
    # that finds the accept queue full is dropped), then complete at the same
    # moment. The losses below also move the server's SYN-ACK timer off the
    # client's SYN timer (otherwise both fire 1 s after the SYN and the
    # capture gets crossing duplicates):
    #   t0    SYNs of B and C lost (client neighbour bogus)
    #   t0+1  client SYN retransmissions reach the server: two requests in
    #         SYN_RECV; their SYN-ACKs are lost (server neighbour bogus)
    #   t0+2  the server's SYN-ACK timer resends both; the client ACKs both
    #         (ESTABLISHED): the first ACK fills the queue, the second
    #         overflows and is dropped (tcp_abort_on_overflow=0)
    #   t0+4  the server repeats that SYN-ACK; the client re-ACKs; dropped again
    lose(NS_C)
    lose(NS_S)
    conns = []
    for sport in (41119, 41219):   # B, C
        c = client_sock(sport)
        c.setblocking(False)
        c.connect_ex((S4, 9519))
        conns.append(c)
    time.sleep(0.5)
    heal(NS_C)                     # before the client's SYN retransmission (t0+1)
    time.sleep(1.0)
    heal(NS_S)                     # before the server's SYN-ACK timer (t0+2)
    time.sleep(3.0)                # until t0+4.5
    done(L, a, conns)


def any_sll2_normal_close():
    normal_close_client(9520, 41020)


S4_LOST = "10.99.0.3"              # demo-mixed: a second server address, unreachable


def demo_mixed():
    """Five stories in one capture, for the README's first example.

    Server port 9600+N, client port 41600+N, story N started at a fixed time:
      3  0.0 s  stuck CLOSE_WAIT: the server reads request and EOF, never close()s
      1  0.5 s  request/response, client closes first: four-way close
      2  1.0 s  connect() to 9602 where nothing listens: refused
      4  1.5 s  client closes first, its final ACK is lost, the server resends its FIN
      5  3.3 s  SYNs to 10.99.0.3:9605, all lost: SYN at 3.3, 4.3, 6.3 s
    Story 3 starts first so that, at the capture's last frame (story 5's last
    SYN), the server has sat in CLOSE_WAIT for over 6 s. The scenario ends
    when story 5's connect() gives up (ETIMEDOUT, ~10.3 s), holding story 3's
    server socket until record.sh has run ss.
    """
    # 10.99.0.3 on the server's veth, but the client's neighbour entry for it
    # is bogus: every frame the client sends there is lost; 10.99.0.2 is
    # unaffected.
    subprocess.run(["ip", "-n", NS_S, "addr", "add", f"{S4_LOST}/24", "dev", IF_S], check=True)
    _neigh(NS_C, S4_LOST, BOGUS)
    L1, L3, L4 = listener(9601), listener(9603), listener(9604)
    enter(NS_S)
    L5 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    L5.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    L5.bind((S4_LOST, 9605))
    L5.listen(16)
    t0 = time.monotonic()

    def at(t):
        time.sleep(max(0.0, t0 + t - time.monotonic()))
        log(f"t={t}")

    # 3: the server reads the request and EOF, and never calls close()
    at(0.0)
    c3 = connect(9603, 41603)
    s3, _ = L3.accept()
    exchange(c3, s3)
    c3.close()                     # client FIN -> FIN_WAIT_2 (orphaned)
    expect_eof(s3)                 # server CLOSE_WAIT, held to the end

    # 1: normal request/response, client closes first
    at(0.5)
    c1 = connect(9601, 41601)
    s1, _ = L1.accept()
    exchange(c1, s1)
    c1.close()
    expect_eof(s1)
    time.sleep(0.15)               # past the delayed ACK: four segments
    s1.close()

    # 2: nothing listens on 9602
    at(1.0)
    c2 = client_sock(41602)
    try:
        c2.connect((S4, 9602))
        raise AssertionError("connect to 9602 succeeded")
    except ConnectionRefusedError:
        log("9602: ECONNREFUSED")

    # 4: client closes first; its final ACK is lost; the server resends its FIN
    at(1.5)
    c4 = connect(9604, 41604)
    s4, _ = L4.accept()
    exchange(c4, s4)
    c4.close()
    expect_eof(s4)
    time.sleep(0.15)               # server ACKs the FIN on its own
    lose(NS_C)                     # the client's final ACK will be lost
    s4.close()
    time.sleep(0.1)
    heal(NS_C)                     # before the server's FIN retransmission (~200 ms)

    # 5: unanswered SYNs toward 10.99.0.3 (tcp_syn_retries=2: at 0, 1, 3 s)
    at(3.3)
    c5 = client_sock(41605)
    t5 = time.monotonic()
    try:
        c5.connect((S4_LOST, 9605))
        raise AssertionError("connect to 10.99.0.3 succeeded")
    except (TimeoutError, socket.timeout) as e:
        log(f"9605: connect: {e!r} after {time.monotonic() - t5:.1f} s")
    time.sleep(0.1)
    done(L1, L3, L4, L5, s1, s3, s4, c2, c5)


def _sniffer():
    """A packet socket on the client's veth, opened before the connection, so
    the scenario can read the sequence numbers its own kernel chose."""
    enter(NS_C)
    # ETH_P_ALL: only those taps see what the host itself sends
    sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sn.bind((IF_C, 0))
    sn.setblocking(False)
    return sn


def _last_client_segment(sn, sport):
    """(seq after the client's last segment, its ack) from frames sniffed so far."""
    last = None
    seen = 0
    while True:
        try:
            f = sn.recv(65535)
        except BlockingIOError:
            break
        seen += 1
        ip = f[14:]
        if f[12:14] != b"\x08\x00" or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:]
        if struct.unpack("!H", tcp[0:2])[0] != sport:
            continue
        seq, ack = struct.unpack("!II", tcp[4:12])
        flags = tcp[13]
        plen = total - ihl - (tcp[12] >> 4) * 4
        last = ((seq + plen + (1 if flags & 3 else 0)) & 0xFFFFFFFF, ack)
    if last is None:
        raise AssertionError(f"no segment from port {sport} among {seen} frames sniffed")
    return last


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def inject_syn(sport, dport, seq):
    """Sends a SYN with the connection's 4-tuple from the client's veth
    without the client's kernel knowing: what an attacker, or a client host
    that rebooted and reuses the port, puts on the wire (RFC 5961 §4)."""
    src, dst = socket.inet_aton(C4), socket.inet_aton(S4)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", _csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x5EED, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    eth = bytes.fromhex(MAC_S.replace(":", "")) + bytes.fromhex(MAC_C.replace(":", "")) + b"\x08\x00"
    enter(NS_C)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((IF_C, 0))
    raw.send(eth + ip + tcp)
    raw.close()
    log("injected SYN seq", seq)


def syn_injected():
    """SYNs with the connection's tuple arrive while it is ESTABLISHED: one at
    the expected sequence number, one far outside the window. Linux answers
    each with a challenge ACK (RFC 5961 §4) and the connection goes on to a
    normal close."""
    sn = _sniffer()
    L = listener(9522)
    c = connect(9522, 41022)
    s, _ = L.accept()
    exchange(c, s)
    time.sleep(0.1)
    nxt, _ = _last_client_segment(sn, 41022)
    inject_syn(41022, 9522, nxt)                       # in the window
    time.sleep(0.6)                                    # Linux rate-limits challenge ACKs per socket (0.5 s)
    inject_syn(41022, 9522, (nxt + 0x40000000) & 0xFFFFFFFF)  # outside it
    time.sleep(0.6)
    c.sendall(REQ)
    assert s.recv(4096) == REQ
    time.sleep(0.1)                                    # its ACK leaves before the close
    close_client_first(c, s)
    done(L, s)


def keepalive_death():
    """The server vanishes (its side of the path drops everything from the
    client): the client's keep-alive probes go unanswered, and after
    TCP_KEEPCNT of them Linux resets the connection and the application's
    recv() fails with ETIMEDOUT."""
    L = listener(9523)
    c = connect(9523, 41023, setup=fast_keepalive)
    s, _ = L.accept()
    exchange(c, s)
    time.sleep(0.2)              # the client's ACK of the response leaves first
    lose(NS_C)
    expect_timeout(c)
    time.sleep(1.0)
    done(L, s)


def retransmission_death():
    """The path to the server dies while the client sends: the client
    retransmits with a doubling timeout until TCP_USER_TIMEOUT (3 s) makes
    it give up (ETIMEDOUT, no RST: Linux just drops the socket). The
    connection stays silent for longer than the next retransmission was due,
    while the application's next connection runs."""
    L = listener(9524)
    c = connect(9524, 41024,
                setup=lambda s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 3000))
    s, _ = L.accept()
    exchange(c, s)
    time.sleep(0.2)              # the client's ACK of the response leaves first
    lose(NS_C)
    c.sendall(b"part 2 of the request\n")
    expect_timeout(c)
    # The application reconnects a while later, on another port: the capture
    # shows the dead connection's silence against the new one's traffic.
    time.sleep(5.0)
    heal(NS_C)
    c2 = connect(9524, 41026)
    s2, _ = L.accept()
    exchange(c2, s2)
    close_client_first(c2, s2)
    done(L, s, s2)


def retransmitting_at_end():
    """The same dead path, but the capture ends while the client is still
    retransmitting (Linux would go on for minutes, tcp_retries2): whether it
    gave up cannot be told."""
    L = listener(9525)
    c = connect(9525, 41025)
    s, _ = L.accept()
    exchange(c, s)
    time.sleep(0.2)              # the client's ACK of the response leaves first
    lose(NS_C)
    c.sendall(b"part 2 of the request\n")
    time.sleep(2.0)
    done(L, s, c)


SCENARIOS = {
    "normal-close-client": normal_close_client,
    "normal-close-server": normal_close_server,
    "three-segment-close": three_segment_close,
    "half-close": half_close,
    "stuck-close-wait": stuck_close_wait,
    "rst-linger0": rst_linger0,
    "rst-unread-data": rst_unread_data,
    "refused": refused,
    "syn-unanswered": syn_unanswered,
    "synack-unacked": synack_unacked,
    "simultaneous-close": simultaneous_close,
    "lost-final-ack": lost_final_ack,
    "retransmission": retransmission,
    "keepalive": keepalive,
    "zero-window": zero_window,
    "tuple-reuse": tuple_reuse,
    "concurrent-200": concurrent_200,
    "ipv6-normal-close": ipv6_normal_close,
    "accept-queue-full": accept_queue_full,
    "any-sll2-normal-close": any_sll2_normal_close,
    "demo-mixed": demo_mixed,
    "syn-injected": syn_injected,
    "keepalive-death": keepalive_death,
    "retransmission-death": retransmission_death,
    "retransmitting-at-end": retransmitting_at_end,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: scenarios.py {{{'|'.join(SCENARIOS)}}}")
    SCENARIOS[sys.argv[1]]()
