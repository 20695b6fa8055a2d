#!/usr/bin/env -S /usr/bin/python3
"""zeek-craft.py OUTDIR

Writes one small scapy-crafted capture per Zeek rule that synfin's Zeek view
models (docs/zeek.md): the timers that end a Zeek connection, reuse, the
three flips, and the history letters T, W, G and C. Each is a complete,
internally consistent seq/ack story on one or two 4-tuples; the rows Zeek's
rules give for it are derived by hand in test/tcp/zeek-rules.test.ts, which
cites the rule. Nothing is sent anywhere: packets are built and written with
wrpcap only. Re-record with:

    /usr/bin/python3 captures/zeek-craft.py captures/zeek

Conventions: Ethernet, microsecond pcap; client 10.98.0.1 on ports 410xx,
server 10.98.0.2 on 9999 (a port in no likely_server_ports set, so Zeek
flips nothing on ports alone) unless a rule needs 80 or 22. The first packet
is at 2026-11-23T04:44:04Z (epoch 1795409044); times below are seconds from
there. No TCP options; windows 8192 unless a rule says otherwise.
"""
import os
import sys
from decimal import Decimal

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # scapy: /usr/bin/python3 only

EPOCH = Decimal(1795409044)
CLIENT_IP, SERVER_IP = "10.98.0.1", "10.98.0.2"
CLIENT_MAC, SERVER_MAC = "02:00:00:00:01:01", "02:00:00:00:01:02"
F = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


class Side:
    def __init__(self, ip, mac, port, isn):
        self.ip, self.mac, self.port = ip, mac, port
        self.nxt = isn  # next sequence number to send
        self.rcv = 0  # next sequence number expected from the peer
        self.ipid = 1000 + port % 1000


class Conn:
    """One 4-tuple; seg() appends one segment at time `at` (seconds from EPOCH)."""

    def __init__(self, pkts, cport, sport=9999, cisn=1000000, sisn=5000000):
        self.pkts = pkts
        self.c = Side(CLIENT_IP, CLIENT_MAC, cport, cisn)
        self.s = Side(SERVER_IP, SERVER_MAC, sport, sisn)

    def seg(self, at, who, flags, data=b"", seq=None, ack=None, win=8192, advance=True, bad_checksum=False, snap=None):
        src, dst = (self.c, self.s) if who == "c" else (self.s, self.c)
        bits = sum(F[f] for f in flags)
        if seq is None:
            seq = src.nxt
        if ack is None:
            ack = src.rcv if bits & F["A"] else 0
        tcp = TCP(sport=src.port, dport=dst.port, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF,
                  flags=bits, window=win)
        if bad_checksum:
            tcp.chksum = 0xBAD0
        pkt = Ether(src=src.mac, dst=dst.mac) / IP(src=src.ip, dst=dst.ip, id=src.ipid, flags="DF", ttl=64) / tcp
        src.ipid = (src.ipid + 1) & 0xFFFF
        if data:
            pkt = pkt / Raw(load=data)
        if snap is not None:
            # Captured with a snaplen: the first `snap` bytes, the wire length kept.
            wire = bytes(pkt)
            pkt = Ether(wire[:snap])
            pkt.wirelen = len(wire)
        pkt.time = EPOCH + Decimal(str(at))
        self.pkts.append(pkt)
        used = len(data) + (1 if bits & F["S"] else 0) + (1 if bits & F["F"] else 0)
        if advance and seq == src.nxt and not bits & F["R"]:
            src.nxt += used
        if not bits & F["R"]:
            # The receiver takes what arrives in order (a segment left out of
            # the capture is added with pkts=None, see missing()).
            if seq == dst.rcv or bits & F["S"]:
                dst.rcv = seq + used
        return pkt

    def missing(self, who, data):
        """A segment that travelled but is not in the capture (the peer acks past it)."""
        src, dst = (self.c, self.s) if who == "c" else (self.s, self.c)
        if src.nxt == dst.rcv:
            dst.rcv += len(data)
        src.nxt += len(data)

    def handshake(self, at):
        self.seg(at, "c", "S")
        self.seg(at + 0.0001, "s", "SA")
        self.seg(at + 0.0002, "c", "A")

    def close(self, at):
        """A clean close, client first, the server's FIN acknowledging it: FIN, FIN, ACK a millisecond apart."""
        self.seg(at, "c", "FA")
        self.seg(round(at + 0.001, 6), "s", "FA")
        self.seg(round(at + 0.002, 6), "c", "A")


def refused_thrice(pkts):
    # A client retrying connect() on the same 4-tuple (same ISN), refused each time.
    c = Conn(pkts, 41000)
    for at in (0, 1, 3):
        c.seg(at, "c", "S", seq=c.c.nxt, advance=False)
        c.seg(at + 0.0001, "s", "RA", seq=0, ack=c.c.nxt + 1)


def attempt_timer(pkts):
    # An unanswered SYN retried by the kernel at +1, +3, +7 and +15 s, same ISN.
    c = Conn(pkts, 41001)
    for at in (0, 1, 3, 7, 15):
        c.seg(at, "c", "S", seq=c.c.nxt, advance=False)


def close_delay(pkts):
    # A clean close; the client's final ACK repeated at +4 s; a server RST at +6 s.
    c = Conn(pkts, 41002, sport=80)
    c.handshake(0)
    c.seg(0.001, "c", "PA", b"hello")
    c.seg(0.0011, "s", "A")
    c.seg(0.002, "c", "FA")
    c.seg(0.0021, "s", "FA")
    c.seg(0.0022, "c", "A")
    c.seg(4, "c", "A")
    c.seg(6, "s", "R", ack=0)


def expire_linger(pkts):
    # The client half-closes, then aborts; the server speaks again at +8 s.
    c = Conn(pkts, 41003)
    c.handshake(0)
    c.seg(1, "c", "FA")
    c.seg(1.0001, "s", "A")
    c.seg(1.1, "c", "R", ack=0)
    c.seg(8, "s", "PA", b"late")


def inactivity(pkts):
    # Established, then 301 s of silence: on port 9999 (tcp_inactivity_timeout,
    # 300 s) and on port 22 (inactivity.zeek gives it an hour).
    for cport, sport in ((41004, 9999), (41014, 22)):
        c = Conn(pkts, cport, sport=sport, cisn=1000000 + cport, sisn=5000000 + cport)
        c.handshake(0)
        c.seg(1, "c", "PA", b"0123456789")
        c.seg(1.001, "s", "A")
        c.seg(302, "c", "PA", b"0123456789")
        c.seg(302.001, "s", "A")
    pkts.sort(key=lambda p: p.time)


def flip_port(pkts):
    # Midstream: the first packet is data from the server's port 80.
    c = Conn(pkts, 41005, sport=80)
    c.c.rcv = c.s.nxt
    c.s.rcv = c.c.nxt
    c.seg(0, "s", "PA", b"abcde")
    c.seg(0.001, "c", "A")


def flip_synack(pkts):
    # A SYN-ACK whose SYN the capture missed, then the client's ACK and data.
    c = Conn(pkts, 41006)
    c.c.nxt += 1  # the SYN was sent, not captured
    c.s.rcv = c.c.nxt
    c.seg(0, "s", "SA")
    c.seg(0.001, "c", "A")
    c.seg(0.002, "c", "PA", b"xyz")
    c.seg(0.003, "s", "A")


def flip_reversal(pkts):
    # SYN and SYN-ACK captured in reverse order (two interfaces), then the ACK.
    c = Conn(pkts, 41007)
    isn = c.c.nxt
    c.s.rcv = isn + 1
    c.seg(0, "s", "SA", ack=isn + 1)
    c.seg(0.0001, "c", "S")
    c.seg(0.0002, "c", "A")


def letters_t(pkts):
    # One data segment retransmitted 12 times: T at the 1st and 10th.
    c = Conn(pkts, 41008)
    c.handshake(0)
    seq = c.c.nxt
    c.seg(0.01, "c", "PA", b"x" * 100)
    c.seg(0.011, "s", "A")
    for i in range(12):
        c.seg(0.2 + i * 0.2, "c", "PA", b"x" * 100, seq=seq)
    c.close(3)


def letters_w(pkts):
    # The server advertises a zero window in 10 ACKs: w at the 1st and 10th.
    c = Conn(pkts, 41009)
    c.handshake(0)
    c.seg(0.01, "c", "PA", b"y" * 50)
    for i in range(10):
        c.seg(0.011 + i * 0.1, "s", "A", win=0)
    c.seg(1.5, "s", "A")
    c.close(2)


def letters_g(pkts):
    # Three 100-byte segments, the middle one missing from the capture; the
    # server acknowledges all 300 bytes.
    c = Conn(pkts, 41010)
    c.handshake(0)
    c.seg(0.01, "c", "PA", b"a" * 100)
    c.missing("c", b"b" * 100)
    c.seg(0.012, "c", "PA", b"c" * 100, seq=c.c.nxt)
    c.s.rcv = c.c.nxt
    c.seg(0.013, "s", "A")
    c.close(0.02)


def letters_c(pkts):
    # A data segment with a wrong TCP checksum, resent with a right one.
    c = Conn(pkts, 41011)
    c.handshake(0)
    seq = c.c.nxt
    c.seg(0.01, "c", "PA", b"z" * 20, bad_checksum=True, advance=False)
    c.seg(0.2, "c", "PA", b"z" * 20, seq=seq)
    c.seg(0.201, "s", "A")
    c.close(0.3)


def snaplen_gap(pkts):
    # Three 100-byte segments captured with a 64-byte snaplen: Zeek's
    # reassembler is handed none of their payload, so each ACK is a gap.
    c = Conn(pkts, 41013)
    c.handshake(0)
    for i in range(3):
        c.seg(0.01 + i * 0.01, "c", "PA", b"s" * 100, snap=64)
        c.seg(0.011 + i * 0.01, "s", "A")
    c.close(0.05)


def deferred_close(pkts):
    # The server resets with a seq 1000 ahead of its data (an in-window RST
    # not at rcv.nxt); the client sends again 6 s later.
    c = Conn(pkts, 41012)
    c.handshake(0)
    c.seg(0.01, "c", "PA", b"q" * 10)
    c.seg(0.011, "s", "A")
    c.seg(0.02, "s", "R", seq=c.s.nxt + 1000, ack=0)
    c.seg(6, "c", "PA", b"q" * 10)


CAPTURES = {
    "refused-thrice": refused_thrice,
    "attempt-timer": attempt_timer,
    "close-delay": close_delay,
    "expire-linger": expire_linger,
    "inactivity": inactivity,
    "flip-port": flip_port,
    "flip-synack": flip_synack,
    "flip-reversal": flip_reversal,
    "letters-t": letters_t,
    "letters-w": letters_w,
    "letters-g": letters_g,
    "letters-c": letters_c,
    "deferred-close": deferred_close,
    "snaplen-gap": snaplen_gap,
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, build in CAPTURES.items():
        pkts = []
        build(pkts)
        path = os.path.join(out, "zeek-%s.pcap" % name)
        wrpcap(path, pkts, linktype=1)
        print(path, len(pkts))


if __name__ == "__main__":
    main()
