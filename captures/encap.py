#!/usr/bin/env python3
"""encap.py OUTDIR

Writes one capture per encapsulation synfin decodes (docs/formats.md): the same
short TCP connection (handshake, 100 bytes each way, FIN/ACK close) between
10.99.0.1:40100 and 10.99.0.2:80, wrapped in the named tunnel, plus a nesting
bomb (IPIP nested 20 deep) that must be refused by name. Built from raw bytes
with the standard library only (struct), so every run writes the same bytes.
Nothing is sent anywhere.
"""
import os
import struct
import sys

START = 1795409044  # 2026-11-23T04:44:04Z
C_IP, S_IP = bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2])
C_MAC, S_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
T_A, T_B = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])  # tunnel endpoints


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def tcp(src, dst, sport, dport, seq, ack, flags, data=b""):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(h) + len(data))
    c = csum(pseudo + h + data)
    return h[:16] + struct.pack("!H", c) + h[18:] + data


C6, S6 = bytes.fromhex("20010db8000000000000000000000001"), bytes.fromhex("20010db8000000000000000000000002")


def ipv6_of(pkt4):
    """The IPv4/TCP packet pkt4 as IPv6 between 2001:db8::1 and ::2, same TCP header and data."""
    t = bytearray(pkt4[20:])
    src, dst = (C6, S6) if pkt4[12:16] == C_IP else (S6, C6)
    t[16:18] = b"\0\0"
    pseudo = src + dst + struct.pack("!IxxxB", len(t), 6)
    t[16:18] = struct.pack("!H", csum(pseudo + bytes(t)))
    return struct.pack("!IHBB", 0x60000000, len(t), 6, 64) + src + dst + bytes(t)


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def connection():
    """Inner IPv4 packets of one connection, with their direction (0 client→server)."""
    c, s = 1000, 5000
    segs = [
        (0, c, 0, 0x02, b""), (1, s, c + 1, 0x12, b""), (0, c + 1, s + 1, 0x10, b""),
        (0, c + 1, s + 1, 0x18, b"a" * 100), (1, s + 1, c + 101, 0x18, b"b" * 100),
        (0, c + 101, s + 101, 0x11, b""), (1, s + 101, c + 102, 0x11, b""), (0, c + 102, s + 102, 0x10, b""),
    ]
    out = []
    for i, (d, seq, ack, fl, data) in enumerate(segs):
        src, dst, sp, dp = (C_IP, S_IP, 40100, 80) if d == 0 else (S_IP, C_IP, 80, 40100)
        out.append((d, ipv4(src, dst, 6, tcp(src, dst, sp, dp, seq, ack, fl, data), ident=i + 1)))
    return out


def inner_eth(d, pkt):
    return eth(S_MAC, C_MAC, 0x0800, pkt) if d == 0 else eth(C_MAC, S_MAC, 0x0800, pkt)


def outer_ip(d, proto, payload):
    return ipv4(T_A, T_B, proto, payload) if d == 0 else ipv4(T_B, T_A, proto, payload)


def outer_eth(payload, etype=0x0800):
    return eth(bytes.fromhex("0200000000fe"), bytes.fromhex("0200000000fd"), etype, payload)


def gre(proto, payload, key=None, seq=None):
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload


VXLAN = lambda pkt_eth: struct.pack("!BBHI", 0x08, 0, 0, 42 << 8) + pkt_eth  # noqa: E731


def build(name, d, pkt):
    """The frame (linktype, bytes) of one inner packet for capture `name`."""
    if name == "mpls":
        return 1, outer_eth(struct.pack("!I", (100 << 12) | 64) + struct.pack("!I", (200 << 12) | 0x100 | 64) + pkt, 0x8847)
    if name == "mpls-pw":  # Ethernet pseudowire with control word
        return 1, outer_eth(struct.pack("!I", (300 << 12) | 0x100 | 64) + b"\0\0\0\0" + inner_eth(d, pkt), 0x8847)
    if name == "pppoe":
        body = struct.pack("!H", 0x0021) + pkt
        return 1, outer_eth(struct.pack("!BBHH", 0x11, 0, 0x1234, len(body)) + body, 0x8864)
    if name == "pppoe-pfc":  # Protocol-Field-Compression (RFC 1661 §6.5): 0x21 alone for IPv4, as some access concentrators send it
        body = struct.pack("!B", 0x21) + pkt
        return 1, outer_eth(struct.pack("!BBHH", 0x11, 0, 0x1234, len(body)) + body, 0x8864)
    if name == "pbb":
        return 1, outer_eth(struct.pack("!I", 0x00012345) + inner_eth(d, pkt), 0x88E7)
    if name == "vntag":
        return 1, outer_eth(b"\x80\x01\x00\x02" + struct.pack("!H", 0x0800) + pkt, 0x8926)
    if name == "fabricpath":
        return 1, bytes.fromhex("020000000010") + bytes.fromhex("020000000011") + struct.pack("!HH", 0x8903, 0x0001) + inner_eth(d, pkt) + b"\0\0\0\0"  # inner FCS, as a FabricPath switch keeps it
    if name == "ipip":
        return 1, outer_eth(outer_ip(d, 4, pkt))
    if name == "gre":
        return 1, outer_eth(outer_ip(d, 47, gre(0x0800, pkt, key=7, seq=d)))
    if name == "gre-teb":
        return 1, outer_eth(outer_ip(d, 47, gre(0x6558, inner_eth(d, pkt))))
    if name == "erspan2":
        return 1, outer_eth(outer_ip(d, 47, gre(0x88BE, struct.pack("!II", 0x10000001, 0) + inner_eth(d, pkt), seq=d)))
    if name == "erspan3":
        return 1, outer_eth(outer_ip(d, 47, gre(0x22EB, struct.pack("!III", 0x20000001, 0, 0) + inner_eth(d, pkt), seq=d)))
    if name == "vxlan":
        return 1, outer_eth(outer_ip(d, 17, udp(50000, 4789, VXLAN(inner_eth(d, pkt)))))
    if name == "vxlan-in-gre":
        return 1, outer_eth(outer_ip(d, 47, gre(0x0800, ipv4(bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]), 17,
                                                               udp(50001, 4789, VXLAN(inner_eth(d, pkt)))))))
    if name == "geneve":
        opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\0\0\0\1"
        return 1, outer_eth(outer_ip(d, 17, udp(50002, 6081, struct.pack("!BBHI", len(opt) // 4, 0, 0x6558, 9 << 8) + opt + inner_eth(d, pkt))))
    if name == "gtpu":
        ext = struct.pack("!BBBB", 1, 0x00, 0x09, 0)  # PDU session container, next type 0
        body = struct.pack("!HBB", 0, 0, 0x85) + ext + pkt
        return 1, outer_eth(outer_ip(d, 17, udp(2152, 2152, struct.pack("!BBHI", 0x34, 0xFF, len(body), 0xABCD) + body)))
    if name == "c-hdlc":
        return 104, struct.pack("!BBH", 0x0F, 0x00, 0x0800) + pkt
    if name == "ppp":
        return 9, struct.pack("!BBH", 0xFF, 0x03, 0x0021) + pkt
    if name == "ppp-pfc":  # address and control compressed away too (RFC 1661 §6.6), then the one-byte protocol
        return 9, struct.pack("!B", 0x21) + pkt
    if name == "gre-ppp-pfc":  # PPTP's enhanced GRE (version 1, key = payload length and call id), 0xFF 0x03, one-byte protocol
        body = b"\xff\x03\x21" + pkt
        h = struct.pack("!HHHHI", 0x3001, 0x880B, len(body), 7, d)
        return 1, outer_eth(outer_ip(d, 47, h + body))
    if name == "6in4":
        return 1, outer_eth(outer_ip(d, 41, ipv6_of(pkt)))
    if name == "teredo":
        origin = struct.pack("!HH4s", 0x0000, 3544 ^ 0xFFFF, bytes(b ^ 0xFF for b in T_A))
        body = (origin if d == 1 else b"") + ipv6_of(pkt)
        return 1, outer_eth(outer_ip(d, 17, udp(3544, 50003, body) if d == 1 else udp(50003, 3544, body)))
    if name == "ayiya":
        ident = C6 if d == 0 else S6
        hdr = struct.pack("!BBBBI", 0x41, 0x00, 0x01, 41, START) + ident  # 16-byte IPv6 identity, no signature
        return 1, outer_eth(outer_ip(d, 17, udp(50004, 5072, hdr + ipv6_of(pkt))))
    if name == "depth-bomb":
        for _ in range(20):
            pkt = outer_ip(d, 4, pkt)
        return 1, outer_eth(pkt)
    raise ValueError(name)


NAMES = ["mpls", "mpls-pw", "pppoe", "pppoe-pfc", "pbb", "vntag", "fabricpath", "ipip", "gre", "gre-teb", "erspan2",
         "erspan3", "vxlan", "vxlan-in-gre", "geneve", "gtpu", "c-hdlc", "ppp", "ppp-pfc", "gre-ppp-pfc", "6in4", "teredo", "ayiya", "depth-bomb"]


def write(path, frames):
    linktype = frames[0][0]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, (_, data) in enumerate(frames):
            f.write(struct.pack("<IIII", START, 100000 + i * 1000, len(data), len(data)) + data)


def mirrored():
    """A SPAN session's view: each packet as it crossed the port, then its ERSPAN
    II copy from a remote mirror, in one capture. tshark keys both by the inner
    4-tuple, so the connection has every frame twice (the copies are its
    retransmissions); synfin must count them the same way."""
    frames = []
    for d, p in connection():
        frames.append((1, inner_eth(d, p)))
        frames.append(build("erspan2", d, p))
    return frames


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in NAMES:
        write(os.path.join(out, f"encap-{name}.pcap"), [build(name, d, p) for d, p in connection()])
    write(os.path.join(out, "encap-mirror-plus-original.pcap"), mirrored())


if __name__ == "__main__":
    main()
