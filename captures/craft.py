#!/usr/bin/env -S /usr/bin/python3
"""craft.py OUTDIR [--notes]

Writes scapy-crafted captures of what a kernel will not do on demand, each a
complete, internally consistent seq/ack story (README-crafted.md says what each
shows and at which frames). Nothing is sent anywhere: packets are built and
written with wrpcap only.

Conventions (all captures):
  - Ethernet, microsecond little-endian pcap (scapy's wrpcap), snaplen 65535.
  - client 10.99.0.1 02:00:00:00:00:01, ephemeral port 401xx/402xx;
    server 10.99.0.2 02:00:00:00:00:02, port 80 (443 for the midstream one).
    Third parties (spoofed or far-away sources) come through the gateway MAC
    02:00:00:00:00:fe from documentation/benchmark ranges (192.0.2/24,
    198.51.100/24, 203.0.113/24, 198.18/15).
  - The first packet is at 2026-11-23T04:44:04.100000Z; spacing is in
    microseconds to milliseconds, as on a LAN.
  - Linux-like SYN options: MSS 1460, SACK-permitted, timestamps, NOP, wscale 7;
    then NOP NOP TS on every segment except RSTs. TS values tick in ms.
    Windows: 64240 on SYNs, 65160 on SYN-ACKs, then 502/509 (x128).
  - ISNs, IP ids and TS clocks are drawn from random.Random(capture name), so
    every run writes the same bytes.

--notes prints, for each capture, the frames worth asserting (the source of
README-crafted.md).
"""
import os
import random
import sys
from decimal import Decimal

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # scapy: /usr/bin/python3 only

EPOCH_US = 1795409044 * 10**6  # 2026-11-23T04:44:04Z
START_US = EPOCH_US + 100000

CLIENT_MAC, SERVER_MAC, GATEWAY_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:fe"
CLIENT_IP, SERVER_IP = "10.99.0.1", "10.99.0.2"

F = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


class Capture:
    """Packets in capture order with their times (integer microseconds)."""

    def __init__(self, name):
        self.name = name
        self.rng = random.Random("synfin-crafted-" + name)
        self.t = START_US
        self.pkts = []
        self.notes = []  # (frame, text)

    def wait(self, us):
        self.t += int(us)

    def add(self, pkt, note=None):
        pkt.time = Decimal(self.t) / 10**6
        self.pkts.append(pkt)
        n = len(self.pkts)
        if note:
            self.notes.append((n, note))
        return n

    def note(self, text):
        self.notes.append((None, text))

    def write(self, outdir):
        path = os.path.join(outdir, "crafted-%s.pcap" % self.name)
        wrpcap(path, self.pkts, linktype=1)
        return path


class Endpoint:
    def __init__(self, cap, mac, ip, port, isn):
        self.cap, self.mac, self.ip, self.port = cap, mac, ip, port
        self.isn = isn
        self.snd_nxt = isn
        self.rcv_nxt = 0
        self.ts_base = cap.rng.randrange(1 << 28, 1 << 31)
        self.ts_recent = 0
        self.ipid = cap.rng.randrange(1, 60000)
        self.wscaled = False

    def tsval(self):
        return (self.ts_base + (self.cap.t - START_US) // 1000) & 0xFFFFFFFF


def syn_options(ep):
    return [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (ep.tsval(), ep.ts_recent)),
            ("NOP", None), ("WScale", 7)]


class Conn:
    """Both endpoints of one TCP connection; seg() writes one segment.

    seq/ack default to the sender's snd_nxt/rcv_nxt. A segment sent at the
    sender's snd_nxt advances it by its length (+1 for SYN, +1 for FIN). When
    delivered (deliver=True), a segment at the receiver's rcv_nxt advances it,
    a SYN sets it, and its TS value becomes the receiver's ts_recent.
    capture=False: the segment travels (time passes, state moves) but is missing
    from the capture.
    """

    def __init__(self, cap, cport, sport=80, cisn=None, sisn=None):
        self.cap = cap
        rng = cap.rng
        self.c = Endpoint(cap, CLIENT_MAC, CLIENT_IP, cport, rng.randrange(1 << 32) if cisn is None else cisn)
        self.s = Endpoint(cap, SERVER_MAC, SERVER_IP, sport, rng.randrange(1 << 32) if sisn is None else sisn)

    def seg(self, who, flags, data=b"", dt=0, seq=None, ack=None, win=None, options=None,
            deliver=True, capture=True, note=None, ttl=64, ipid=None, ts=True):
        cap = self.cap
        cap.wait(dt)
        src, dst = (self.c, self.s) if who == "c" else (self.s, self.c)
        bits = sum(F[f] for f in flags)
        syn, fin, rst = bits & F["S"], bits & F["F"], bits & F["R"]
        if seq is None:
            seq = src.snd_nxt
        if ack is None:
            ack = src.rcv_nxt if bits & F["A"] else 0
        if options is None:
            if syn:
                options = syn_options(src)
            elif rst or not ts:
                options = []
            else:
                options = [("NOP", None), ("NOP", None), ("Timestamp", (src.tsval(), src.ts_recent))]
        if win is None:
            if rst:
                win = 0
            elif syn:
                win = 65160 if bits & F["A"] else 64240
            else:
                win = 502 if who == "c" else 509
        if ipid is None:
            ipid = src.ipid
            src.ipid = (src.ipid + 1) & 0xFFFF
        pkt = (Ether(src=src.mac, dst=dst.mac)
               / IP(src=src.ip, dst=dst.ip, id=ipid, flags="DF", ttl=ttl)
               / TCP(sport=src.port, dport=dst.port, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF,
                     flags=bits, window=win, options=options))
        if data:
            pkt = pkt / Raw(data)
        seglen = len(data) + (1 if syn else 0) + (1 if fin else 0)
        if seq == src.snd_nxt and not rst:
            src.snd_nxt = (src.snd_nxt + seglen) & 0xFFFFFFFF
        if deliver and not rst:
            if syn:
                dst.rcv_nxt = (seq + seglen) & 0xFFFFFFFF
            elif seq == dst.rcv_nxt:
                dst.rcv_nxt = (dst.rcv_nxt + seglen) & 0xFFFFFFFF
            for name, val in options:
                if name == "Timestamp":
                    dst.ts_recent = val[0]
        if capture:
            return cap.add(pkt, note)
        return None

    def deliver(self, frame):
        """Applies captured frame (1-based) to its receiver, later than it was built."""
        p = self.cap.pkts[frame - 1]
        t = p[TCP]
        dst = self.s if p[IP].src == self.c.ip and t.sport == self.c.port else self.c
        seglen = len(t.payload) + (1 if t.flags.S else 0) + (1 if t.flags.F else 0)
        if t.flags.S:
            dst.rcv_nxt = (t.seq + seglen) & 0xFFFFFFFF
        elif t.seq == dst.rcv_nxt:
            dst.rcv_nxt = (dst.rcv_nxt + seglen) & 0xFFFFFFFF
        for name, val in t.options:
            if name == "Timestamp":
                dst.ts_recent = val[0]

    # common sequences -------------------------------------------------------
    def handshake(self, rtt=410):
        a = self.seg("c", "S", note="SYN")
        self.seg("s", "SA", dt=rtt)
        self.seg("c", "A", dt=48)
        return a

    def close_four_way(self, initiator="c", gap=1200, rtt=410):
        a, b = (initiator, "s" if initiator == "c" else "c")
        first = self.seg(a, "FA", dt=gap)
        self.seg(b, "A", dt=rtt)
        self.seg(b, "FA", dt=380)
        self.seg(a, "A", dt=rtt)
        return first


def payload(cap, n, prefix=b""):
    body = bytes(cap.rng.randrange(32, 127) for _ in range(max(0, n - len(prefix))))
    return (prefix + body)[:n]


def http_get(path=b"/"):
    return b"GET " + path + b" HTTP/1.1\r\nHost: server\r\nUser-Agent: synfin-crafted\r\n\r\n"


def http_resp(cap, n):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %03d\r\n\r\n"
    head = head % (n - len(head % 0))
    return head + payload(cap, n - len(head))


# ------------------------------------------------------------------- captures

def simultaneous_open():
    cap = Capture("simultaneous-open")
    k = Conn(cap, 40110, 5001)
    a = k.seg("c", "S", deliver=False, note="client SYN (SYN_SENT)")
    b = k.seg("s", "S", dt=95, deliver=False, note="server SYN, crossing the client's (both SYN_SENT)")
    k.deliver(a)
    k.deliver(b)
    k.seg("c", "SA", dt=330, seq=k.c.isn, note="client SYN-ACK (SYN_RECEIVED), same ISN, acks server ISN+1")
    k.seg("s", "SA", dt=40, seq=k.s.isn, note="server SYN-ACK, acks client ISN+1; each side ESTABLISHED on the other's SYN-ACK")
    k.seg("c", "PA", http_get(b"/simultaneous"), dt=900, note="first data")
    k.seg("s", "A", dt=410)
    k.seg("s", "PA", http_resp(cap, 160), dt=300)
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def split_syn_ack():
    cap = Capture("split-syn-ack")
    k = Conn(cap, 40230)
    a = k.seg("c", "S", note="client SYN (SYN_SENT)")
    k.seg("s", "A", dt=410, seq=k.s.isn, ack=(k.c.isn + 1) & 0xFFFFFFFF, ts=False,
          note="server ACKs the SYN on its own, without SYN (the TCP split handshake)")
    b = k.seg("s", "S", dt=30, note="then sends its SYN separately")
    k.seg("c", "SA", dt=380, seq=k.c.isn, note="client answers the SYN with SYN-ACK (SYN_RECEIVED)")
    k.seg("s", "A", dt=410, note="server ACKs it: both ESTABLISHED")
    k.seg("c", "PA", http_get(b"/split"), dt=600, note="first data")
    k.seg("s", "A", dt=410)
    k.seg("s", "PA", http_resp(cap, 140), dt=300)
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def rst_out_of_window():
    cap = Capture("rst-out-of-window")
    k = Conn(cap, 40120)
    k.handshake()
    k.seg("c", "PA", http_get(b"/big"), dt=700)
    k.seg("s", "A", dt=410)
    far = (k.c.rcv_nxt + 0x40000000) & 0xFFFFFFFF
    k.seg("s", "R", dt=2500, seq=far, ttl=49, ipid=0x1d2c,
          note="forged RST 'from the server', seq = client rcv.nxt + 2^30, far outside the "
               "client's 64256-byte window: ignored, no reply (rst-out-of-window)")
    k.seg("s", "PA", http_resp(cap, 600), dt=1500, note="connection carries on")
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def challenge_ack():
    cap = Capture("challenge-ack")
    k = Conn(cap, 40130)
    k.handshake()
    k.seg("c", "PA", payload(cap, 50, b"HELLO "), dt=700)
    k.seg("s", "A", dt=410)
    inwin = (k.c.rcv_nxt + 1000) & 0xFFFFFFFF
    k.seg("s", "R", dt=2300, seq=inwin, ttl=49, ipid=0x4a11,
          note="RST to the client, seq = rcv.nxt + 1000: inside the window but not exactly rcv.nxt")
    k.seg("c", "A", dt=35,
          note="challenge ACK (RFC 5961 3.2): the client's current seq/ack, nothing else; connection stays ESTABLISHED")
    k.seg("s", "PA", payload(cap, 200, b"WORLD "), dt=1100, note="server sends on: the RST had no effect")
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def rst_in_time_wait():
    cap = Capture("rst-in-time-wait")
    k = Conn(cap, 40140)
    k.handshake()
    k.seg("c", "PA", http_get(b"/tw"), dt=700)
    resp = http_resp(cap, 400)
    k.seg("s", "PA", resp, dt=410)
    old = cap.pkts[-1].copy()
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    tw = len(cap.pkts)
    cap.note("frames %d-%d four-way close: client in TIME_WAIT from frame %d, server CLOSED" % (first, tw, tw))
    cap.wait(1_500_000)
    old.time = None
    cap.add(old, note="1.5 s later: an old duplicate of frame 5 (byte-identical: same seq, ack, TS, IP id) "
                      "delayed in the network reaches the client in TIME_WAIT")
    k.seg("c", "A", dt=60, note="TIME_WAIT answers with an ACK of its current seq/ack (RFC 9293 3.10.7.4)")
    k.seg("s", "R", dt=410, seq=k.seg_ack_of_last(),
          note="the server has no such connection (CLOSED) and answers the ACK with RST seq=SEG.ACK: "
               "exactly the client's rcv.nxt, so it is acceptable: TIME_WAIT assassination (RFC 1337), "
               "1.5 s < 2 MSL after frame %d" % tw)
    return cap


def _seg_ack_of_last(self):
    return self.cap.pkts[-1][TCP].ack


Conn.seg_ack_of_last = _seg_ack_of_last


def data_after_fin():
    cap = Capture("data-after-fin")
    k = Conn(cap, 40150)
    k.handshake()
    k.seg("c", "PA", b"QUIT now\r\n", dt=700)
    k.seg("s", "A", dt=410)
    k.seg("c", "FA", dt=900, note="client FIN (FIN_WAIT_1)")
    k.seg("s", "A", dt=410, note="server ACKs the FIN: client FIN_WAIT_2, server CLOSE_WAIT")
    k.seg("c", "PA", b"one more thing\r\n\r\n\r\n", dt=1500,
          note="20 bytes of data at seq FIN+1, beyond the client's own FIN (data-after-fin)")
    k.seg("s", "R", dt=410, seq=k.seg_ack_of_last(),
          note="server answers RST seq=SEG.ACK (as BSD stacks do; RFC 1122 4.2.2.13): both CLOSED")
    return cap


def rst_only():
    cap = Capture("rst-only")
    rng = cap.rng
    sources = ["198.51.100.23", "203.0.113.201", "192.0.2.77", "198.51.100.140", "203.0.113.9"]
    sports = [80, 443, 22, 443, 25]
    tuples = []
    used = set()
    for i in range(16):
        si = i % len(sources)
        while True:
            dport = rng.randrange(1025, 65535)
            if dport not in used:
                used.add(dport)
                break
        tuples.append((sources[si], sports[si], dport, rng.randrange(1 << 32)))
    order = list(range(16)) + [2, 5, 11, 14]  # four tuples answered twice (a retransmitted SYN)
    rng.shuffle(order)
    seen = {}
    for n, ti in enumerate(order):
        src, sport, dport, isn = tuples[ti]
        cap.wait(rng.randrange(50_000, 900_000) if n else 0)
        ack_flag = ti % 4 != 3
        flags = 0x14 if ack_flag else 0x04
        pkt = (Ether(src=GATEWAY_MAC, dst=SERVER_MAC)
               / IP(src=src, dst=SERVER_IP, id=rng.randrange(1 << 16), ttl=rng.randrange(40, 60))
               / TCP(sport=sport, dport=dport, flags=flags, window=0,
                     seq=0 if ack_flag else isn, ack=((isn + 1) if ack_flag else 0) & 0xFFFFFFFF))
        seen.setdefault(ti, []).append(cap.add(pkt))
    twice = sorted(v for v in seen.values() if len(v) == 2)
    cap.note("20 RSTs (R or RA, no other packets) from 5 sources to 16 distinct ports of 10.99.0.2: "
             "16 rst-only flows; 4 tuples get two RSTs: frames %s"
             % ", ".join("%d+%d" % tuple(v) for v in twice))
    return cap


def syn_flood():
    cap = Capture("syn-flood")
    rng = cap.rng
    answered = 64  # the listener's SYN backlog: the first 64 get a SYN-ACK, later ones are dropped
    srcs = set()
    first_dropped = None
    for i in range(300):
        if i:
            cap.wait(rng.randrange(2600, 3300))
        while True:
            ip = "198.%d.%d.%d" % (18 + rng.randrange(2), rng.randrange(256), rng.randrange(1, 255))
            sport = rng.randrange(1024, 65536)
            if (ip, sport) not in srcs:
                srcs.add((ip, sport))
                break
        isn = rng.randrange(1 << 32)
        syn = (Ether(src=GATEWAY_MAC, dst=SERVER_MAC)
               / IP(src=ip, dst=SERVER_IP, id=rng.randrange(1 << 16), ttl=rng.randrange(48, 64))
               / TCP(sport=sport, dport=80, flags="S", seq=isn, window=512))
        n = cap.add(syn)
        if i < answered:
            cap.wait(rng.randrange(20, 60))
            sa = (Ether(src=SERVER_MAC, dst=GATEWAY_MAC)
                  / IP(src=SERVER_IP, dst=ip, id=0, flags="DF", ttl=64)
                  / TCP(sport=80, dport=sport, flags="SA", seq=rng.randrange(1 << 32),
                        ack=(isn + 1) & 0xFFFFFFFF, window=64240, options=[("MSS", 1460)]))
            cap.add(sa)
        elif first_dropped is None:
            first_dropped = n
    dur = (cap.t - START_US) / 1e6
    cap.note("300 SYNs (win 512, no options) from 300 spoofed 198.18.0.0/15 sources to 10.99.0.2:80 in %.3f s; "
             "SYNs 1-64 each get one SYN-ACK (MSS 1460 only) right after them (SYN at odd frames 1-127, "
             "SYN-ACK at even frames 2-128), none is ever ACKed; SYNs 65-300 (frames %d-%d) get nothing: "
             "64 no-final-ack + 236 unanswered flows, %d frames" % (dur, first_dropped, len(cap.pkts), len(cap.pkts)))
    return cap


def midstream():
    cap = Capture("midstream")
    k = Conn(cap, 40180, 443)
    # the handshake and 517+1400 bytes happened before the capture started
    k.c.snd_nxt = k.s.rcv_nxt = (k.c.isn + 1 + 517) & 0xFFFFFFFF
    k.s.snd_nxt = k.c.rcv_nxt = (k.s.isn + 1 + 1400) & 0xFFFFFFFF
    k.c.ts_recent, k.s.ts_recent = k.s.tsval() - 3, k.c.tsval() - 3
    tls = b"\x17\x03\x03"
    k.seg("c", "PA", tls + b"\x00\x75" + payload(cap, 117), note="first frame: client data, no handshake seen (midstream)")
    k.seg("s", "A", dt=410)
    k.seg("s", "A", tls + b"\x05\xa3" + payload(cap, 1443), dt=800)
    k.seg("s", "PA", payload(cap, 900), dt=12)
    k.seg("c", "A", dt=410)
    k.seg("c", "PA", tls + b"\x00\x37" + payload(cap, 57), dt=3000)
    k.seg("s", "PA", tls + b"\x00\x23" + payload(cap, 37), dt=600)
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c", gap=5000)
    cap.note("four-way close from frame %d (client FIN), last ACK frame %d" % (first, len(cap.pkts)))
    return cap


def syn_with_data():
    cap = Capture("syn-with-data")
    k = Conn(cap, 40190)
    cookie = bytes(cap.rng.randrange(256) for _ in range(8))
    opts = syn_options(k.c) + [("NOP", None), ("NOP", None), ("TFO", cookie)]
    k.seg("c", "S", b"PING 4711\n", options=opts,
          note="SYN with 10 bytes of data and a TCP Fast Open cookie (option 34, 8-byte cookie)")
    k.seg("s", "SA", dt=410, note="SYN-ACK acknowledges ISN+11: SYN and the 10 data bytes")
    k.seg("c", "A", dt=48)
    k.seg("s", "PA", b"PONG 4711 from server\n", dt=300)
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def bad_synack_ack():
    cap = Capture("bad-synack-ack")
    k = Conn(cap, 40200)
    k.seg("c", "S", note="client SYN")
    stale_isn = (k.c.isn - 98765432) & 0xFFFFFFFF
    stale_seq = cap.rng.randrange(1 << 32)
    k.seg("s", "SA", dt=410, seq=stale_seq, ack=stale_isn + 1, deliver=False,
          options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (k.s.tsval(), k.c.ts_base - 9000)),
                   ("NOP", None), ("WScale", 7)],
          note="SYN-ACK of a stale half-open connection on this tuple: ack = an old ISN+1, not the client's ISN+1")
    k.seg("c", "R", dt=40, seq=stale_isn + 1,
          note="client answers RST seq=SEG.ACK, no ACK bit (RFC 9293 3.10.7.3), stays SYN_SENT")
    k.seg("c", "S", dt=1_000_000, seq=k.c.isn, note="SYN retransmitted after 1 s (same ISN)")
    k.seg("s", "SA", dt=410, note="correct SYN-ACK, new server ISN, ack = client ISN+1")
    k.seg("c", "A", dt=48)
    k.seg("c", "PA", http_get(b"/retry"), dt=200)
    k.seg("s", "PA", http_resp(cap, 180), dt=700)
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def segment_gap():
    cap = Capture("segment-gap")
    k = Conn(cap, 40210)
    k.handshake()
    k.seg("c", "A", payload(cap, 1000, b"PUT /upload\r\n"), dt=700, note="client data rel. seq 1:1001")
    k.seg("c", "A", payload(cap, 1000), dt=15, capture=False)
    k.seg("c", "PA", payload(cap, 1000), dt=15,
          note="client data 2001:3001; bytes 1001:2001 were sent (and received) but are not in the capture (segment-gap)")
    k.seg("s", "A", dt=410, note="server ACKs 3001, covering the 1000 bytes never captured (ack-unseen); "
                                 "no retransmission follows")
    k.seg("s", "PA", http_resp(cap, 100), dt=600)
    k.seg("c", "A", dt=410)
    first = k.close_four_way("c")
    cap.note("four-way close, client first FIN frame %d" % first)
    return cap


def half_open():
    cap = Capture("half-open")
    k = Conn(cap, 40220)
    k.handshake()
    k.seg("c", "PA", payload(cap, 40, b"LOGIN "), dt=700)
    k.seg("s", "PA", payload(cap, 120, b"OK "), dt=410)
    k.seg("c", "A", dt=410)
    cap.note("after frame 6 the server host reboots; nothing is on the wire for 45 s")
    k.seg("c", "PA", payload(cap, 40, b"STATUS "), dt=45_000_000, note="client sends on the old connection")
    k.seg("s", "R", dt=410, seq=k.seg_ack_of_last(), ipid=0,
          note="the rebooted server has no such connection: RST seq=SEG.ACK (= client rcv.nxt): "
               "client ESTABLISHED -> CLOSED, ECONNRESET (half-open)")
    return cap


ALL = [simultaneous_open, rst_out_of_window, challenge_ack, rst_in_time_wait, data_after_fin, rst_only,
       syn_flood, midstream, syn_with_data, bad_synack_ack, segment_gap, half_open, split_syn_ack]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.stderr.write("usage: craft.py OUTDIR [--notes]\n")
        return 2
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    for make in ALL:
        cap = make()
        path = cap.write(outdir)
        if "--notes" in argv:
            print("%s (%d frames)" % (os.path.basename(path), len(cap.pkts)))
            for frame, text in cap.notes:
                print("  %s %s" % ("frame %-3d" % frame if frame else "         ", text))
        else:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
