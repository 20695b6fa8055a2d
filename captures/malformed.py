#!/usr/bin/env python3
"""malformed.py OUTDIR

Writes one capture per malformed header or length that docs/formats.md
("Malformed headers and lengths") describes: the short connection of
encap.py (10.99.0.1:40100 -> 10.99.0.2:80, handshake, 100 bytes each way,
FIN/ACK close) on plain Ethernet, with one or more of its frames damaged.
Built from raw bytes with the standard library only (struct), so every run
writes the same bytes. Nothing is sent anywhere.

  ip-length-partial.pcap     the client's 100 data bytes are claimed by the
                             IPv4 total length, but its frame holds only the
                             first 40 (the original length says nothing was
                             cut: 60 bytes were never on the wire); the server's
                             100 bytes are cut by the snaplen (captured 64 of
                             154 bytes), which is no malformation
  ip-length-no-payload.pcap  the 66-byte frame: the client's data segment keeps
                             only its headers (TCP with NOP NOP timestamps, 32
                             bytes), its IPv4 total length claims 29,440 bytes
                             of payload; the server acknowledges them all
  ip-length-snaplen.pcap     both at once: a frame of 300 bytes on the wire,
                             64 of them captured, whose IPv4 total length
                             claims 1,000 bytes of payload (754 never on the wire)
  ipv6-length-partial.pcap   the connection over IPv6 (2001:db8::1 -> ::2); the
                             client's IPv6 payload length claims its 100 bytes,
                             its frame holds 40
  tcp-offset-beyond.pcap     an extra bare ACK from the client whose TCP data
                             offset says 60 bytes, in an IP payload of 20
  tcp-offset-under-5.pcap    an extra bare ACK from the client with data offset 3
  ipv4-ihl-under-5.pcap      an extra bare ACK from the client whose IPv4 IHL is 4
  ipv4-length-under-header.pcap  an extra bare ACK from the client whose IPv4
                             total length (16) is shorter than its header
  tcp-header-cut.pcap        an extra bare ACK from the client cut by the snaplen
                             inside its TCP header (46 of 54 bytes captured)
"""
import os
import struct
import sys

from encap import C_IP, C_MAC, C6, S_IP, S_MAC, S6, START, csum, eth, ipv4, tcp

NOP_NOP_TS = struct.pack("!BBBBII", 1, 1, 8, 10, 1000, 0)


def tcp_opts(src, dst, sport, dport, seq, ack, flags, data=b"", options=b"", offset=None, pseudo_len=None):
    """A TCP segment with options; `offset` overrides the data offset (in words) for a malformed one."""
    words = (20 + len(options)) // 4 if offset is None else offset
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, words << 4, flags, 64240, 0, 0) + options
    length = len(h) + len(data) if pseudo_len is None else pseudo_len
    pseudo = src + dst + struct.pack("!BBH", 0, 6, length)
    c = csum(pseudo + h + data)
    return h[:16] + struct.pack("!H", c) + h[18:] + data


def ipv4_claiming(src, dst, payload, total_len, ident, ihl=5):
    """An IPv4 header whose total length (and IHL) say what the caller wants, over `payload`."""
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total_len, ident, 0x4000, 64, 6, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6_claiming(src, dst, payload, payload_len):
    return struct.pack("!IHBB", 0x60000000, payload_len, 6, 64) + src + dst + payload


C_PORT, S_PORT = 40100, 80
ISN_C, ISN_S = 1000, 5000


def ends(d, v6=False):
    if v6:
        return (C6, S6, C_PORT, S_PORT) if d == 0 else (S6, C6, S_PORT, C_PORT)
    return (C_IP, S_IP, C_PORT, S_PORT) if d == 0 else (S_IP, C_IP, S_PORT, C_PORT)


def frame(d, pkt, v6=False):
    etype = 0x86DD if v6 else 0x0800
    return eth(S_MAC, C_MAC, etype, pkt) if d == 0 else eth(C_MAC, S_MAC, etype, pkt)


def plain(d, seq, ack, flags, data=b"", ident=1, v6=False, options=b""):
    src, dst, sp, dp = ends(d, v6)
    t = tcp_opts(src, dst, sp, dp, seq, ack, flags, data, options)
    if v6:
        return frame(d, ipv6_claiming(src, dst, t, len(t)), v6)
    return frame(d, ipv4_claiming(src, dst, t, 20 + len(t), ident))


def connection(client_data, server_data=None, v6=False, extra=None, options=b""):
    """The frames (bytes, original length) of the connection; the two data frames come from the callers."""
    c, s = ISN_C, ISN_S
    out = [
        (plain(0, c, 0, 0x02, ident=1, v6=v6), None),
        (plain(1, s, c + 1, 0x12, ident=2, v6=v6), None),
        (plain(0, c + 1, s + 1, 0x10, ident=3, v6=v6, options=options), None),
        client_data,
        server_data or (plain(1, s + 1, c + 101, 0x18, b"b" * 100, ident=5, v6=v6, options=options), None),
    ]
    if extra is not None:
        out.append(extra)
    out += [
        (plain(0, c + 101, s + 101, 0x11, ident=6, v6=v6, options=options), None),
        (plain(1, s + 101, c + 102, 0x11, ident=7, v6=v6, options=options), None),
        (plain(0, c + 102, s + 102, 0x10, ident=8, v6=v6, options=options), None),
    ]
    return out


def client_data_claiming(claimed, present, ident=4, options=b""):
    """The client's data segment: the IPv4 total length claims `claimed` payload bytes, the frame holds `present`."""
    src, dst, sp, dp = ends(0)
    t = tcp_opts(src, dst, sp, dp, ISN_C + 1, ISN_S + 1, 0x18, b"a" * present, options, pseudo_len=len(options) + 20 + claimed)
    return frame(0, ipv4_claiming(src, dst, t, 20 + 20 + len(options) + claimed, ident))


def bare_ack(**damage):
    """A duplicate of the client's last ACK, damaged as `damage` says (ihl, total_len, offset)."""
    src, dst, sp, dp = ends(0)
    t = tcp_opts(src, dst, sp, dp, ISN_C + 101, ISN_S + 101, 0x10, offset=damage.get("offset"))
    ihl = damage.get("ihl", 5)
    total = damage.get("total_len", 20 + len(t))
    return frame(0, ipv4_claiming(src, dst, t, total, 9, ihl=ihl))


def snapped(data, caplen):
    """A frame of `data` on the wire, cut to `caplen` bytes by the capture's snaplen."""
    return data[:caplen], len(data)


def captures():
    yield "ip-length-partial", connection(
        (client_data_claiming(100, 40), None),
        snapped(plain(1, ISN_S + 1, ISN_C + 101, 0x18, b"b" * 100, ident=5), 64),
    )
    ts = NOP_NOP_TS
    no_payload = client_data_claiming(29440, 0, options=ts)
    assert len(no_payload) == 66
    # The server acknowledges the 29,440 claimed bytes; the rest of the story follows from there.
    c, s = ISN_C, ISN_S
    claimed = 29440
    yield "ip-length-no-payload", [
        (plain(0, c, 0, 0x02, ident=1, options=ts), None),
        (plain(1, s, c + 1, 0x12, ident=2, options=ts), None),
        (plain(0, c + 1, s + 1, 0x10, ident=3, options=ts), None),
        (no_payload, None),
        (plain(1, s + 1, c + 1 + claimed, 0x18, b"b" * 100, ident=5, options=ts), None),
        (plain(0, c + 1 + claimed, s + 101, 0x11, ident=6, options=ts), None),
        (plain(1, s + 101, c + 2 + claimed, 0x11, ident=7, options=ts), None),
        (plain(0, c + 2 + claimed, s + 102, 0x10, ident=8, options=ts), None),
    ]
    # 300 bytes on the wire (14 + 20 + 20 + 246), 64 captured, 1,000 payload bytes claimed.
    src, dst, sp, dp = ends(0)
    t = tcp_opts(src, dst, sp, dp, c + 1, s + 1, 0x18, b"a" * 246, pseudo_len=20 + 1000)
    wire = frame(0, ipv4_claiming(src, dst, t, 20 + 20 + 1000, 4))
    assert len(wire) == 300
    yield "ip-length-snaplen", [
        (plain(0, c, 0, 0x02, ident=1), None),
        (plain(1, s, c + 1, 0x12, ident=2), None),
        (plain(0, c + 1, s + 1, 0x10, ident=3), None),
        snapped(wire, 64),
        (plain(1, s + 1, c + 1001, 0x18, b"b" * 100, ident=5), None),
        (plain(0, c + 1001, s + 101, 0x11, ident=6), None),
        (plain(1, s + 101, c + 1002, 0x11, ident=7), None),
        (plain(0, c + 1002, s + 102, 0x10, ident=8), None),
    ]
    src6, dst6, sp, dp = ends(0, v6=True)
    t6 = tcp_opts(src6, dst6, sp, dp, c + 1, s + 1, 0x18, b"a" * 40, pseudo_len=20 + 100)
    yield "ipv6-length-partial", connection((frame(0, ipv6_claiming(src6, dst6, t6, 20 + 100), v6=True), None), v6=True)
    yield "tcp-offset-beyond", connection((plain(0, c + 1, s + 1, 0x18, b"a" * 100, ident=4), None), extra=(bare_ack(offset=15), None))
    yield "tcp-offset-under-5", connection((plain(0, c + 1, s + 1, 0x18, b"a" * 100, ident=4), None), extra=(bare_ack(offset=3), None))
    yield "ipv4-ihl-under-5", connection((plain(0, c + 1, s + 1, 0x18, b"a" * 100, ident=4), None), extra=(bare_ack(ihl=4), None))
    yield "tcp-header-cut", connection((plain(0, c + 1, s + 1, 0x18, b"a" * 100, ident=4), None), extra=snapped(bare_ack(), 46))
    yield "ipv4-length-under-header", connection((plain(0, c + 1, s + 1, 0x18, b"a" * 100, ident=4), None),
                                                 extra=(bare_ack(total_len=16), None))


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (data, orig) in enumerate(frames):
            f.write(struct.pack("<IIII", START, 100000 + i * 1000, len(data), orig or len(data)) + data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, frames in captures():
        write(os.path.join(out, f"{name}.pcap"), frames)


if __name__ == "__main__":
    main()
