#!/usr/bin/env -S /usr/bin/python3
"""bad.py OUTDIR

Writes tiny malformed capture files for synfin's error tests (see
README-bad.md for what each shows, the byte offset of the fault and the
expected behaviour). Standard library only; the output is byte-for-byte
deterministic. The packets inside are a fixed, valid Ethernet/IPv4/TCP
handshake 10.99.0.1:40000 -> 10.99.0.2:80 (correct checksums), so that whatever
a reader manages to read before the fault is a well-formed TCP segment.

With --offsets, prints "file<TAB>fault offset<TAB>record" for each file instead
of only the paths (README-bad.md was filled from that output).
"""
import gzip
import os
import struct
import sys

T0 = 1795409044  # 2026-11-23T04:44:04Z
CMAC = bytes.fromhex("020000000001")
SMAC = bytes.fromhex("020000000002")
CIP = bytes([10, 99, 0, 1])
SIP = bytes([10, 99, 0, 2])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_frame(src_mac, dst_mac, sip, dip, sport, dport, seq, ack, flags, ipid, win=64240, opts=b"", payload=b""):
    opts += b"\x01" * (-len(opts) % 4)
    off = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + payload
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid, 0x4000, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


SYN_OPTS = bytes.fromhex("020405b4") + b"\x04\x02" + b"\x08\x0a" + struct.pack("!II", 1000, 0) + b"\x01\x03\x03\x07"
CISN, SISN = 0x1C0FFEE5, 0x5EED0001
FRAMES = [
    # (time offset us, frame)
    (100000, tcp_frame(CMAC, SMAC, CIP, SIP, 40000, 80, CISN, 0, 0x02, 0x1001, opts=SYN_OPTS)),
    (100410, tcp_frame(SMAC, CMAC, SIP, CIP, 80, 40000, SISN, CISN + 1, 0x12, 0, win=65160,
                       opts=bytes.fromhex("020405b4") + b"\x04\x02\x08\x0a" + struct.pack("!II", 5000, 1000)
                       + b"\x01\x03\x03\x07")),
    (100820, tcp_frame(CMAC, SMAC, CIP, SIP, 40000, 80, CISN + 1, SISN + 1, 0x10, 0x1002, win=502,
                       opts=b"\x01\x01\x08\x0a" + struct.pack("!II", 1001, 5000))),
    (101900, tcp_frame(CMAC, SMAC, CIP, SIP, 40000, 80, CISN + 1, SISN + 1, 0x18, 0x1003, win=502,
                       opts=b"\x01\x01\x08\x0a" + struct.pack("!II", 1002, 5000),
                       payload=b"GET / HTTP/1.1\r\nHost: server\r\n\r\n")),
]

LE = "<"


# ----------------------------------------------------------------- classic pcap

def pcap_header(e=LE, magic=0xA1B2C3D4, vmaj=2, vmin=4, snaplen=65535, linktype=1):
    return struct.pack(e + "IHHiIII", magic, vmaj, vmin, 0, 0, snaplen, linktype)


def pcap_record(usec_off, data, e=LE, caplen=None, origlen=None):
    t = T0 * 1000000 + usec_off
    return struct.pack(e + "IIII", t // 1000000, t % 1000000,
                       len(data) if caplen is None else caplen,
                       len(data) if origlen is None else origlen) + data


def pcap_records(frames=FRAMES):
    return b"".join(pcap_record(t, d) for t, d in frames)


# ----------------------------------------------------------------------- pcapng

def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(btype, body, total=None, trailer=None, e=LE):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n if total is None else total) + body + \
        struct.pack(e + "I", n if trailer is None else trailer)


def shb(e=LE):
    return block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), e=e)


def idb(e=LE, linktype=1, snaplen=65535):
    return block(1, struct.pack(e + "HHI", linktype, 0, snaplen), e=e)


def epb(usec_off, data, ifid=0, e=LE, **kw):
    t = T0 * 1000000 + usec_off
    body = struct.pack(e + "IIIII", ifid, t >> 32, t & 0xFFFFFFFF, len(data), len(data)) + pad4(data)
    return block(6, body, e=e, **kw)


def epbs(frames=FRAMES):
    return b"".join(epb(t, d) for t, d in frames)


# ------------------------------------------------------------------------ files

def build():
    """-> list of (name, bytes, fault offset, record number or None)."""
    out = []
    hdr = pcap_header()
    recs = [pcap_record(t, d) for t, d in FRAMES]

    out.append(("err-not-a-capture.pcap",
                b"This is not a capture file.\nIt is a text file that someone named .pcap.\n", 0, None))
    out.append(("err-empty.pcap", b"", 0, None))
    out.append(("err-short-header.pcap", hdr[:10], 10, None))  # 10 of 24 header bytes: fault at EOF

    # valid header, a single record whose caplen is 0xFFFFFFFF, then 16 bytes of data
    rec = struct.pack("<IIII", T0, 100000, 0xFFFFFFFF, 0xFFFFFFFF) + FRAMES[0][1][:16]
    out.append(("err-caplen-huge.pcap", hdr + rec, 24 + 8, 1))

    # caplen 70000 > snaplen 65535 in the file header; all 70000 bytes are present
    # (a SYN followed by zero padding), so the record itself is not cut short
    big = FRAMES[0][1] + b"\0" * (70000 - len(FRAMES[0][1]))
    out.append(("err-caplen-over-snaplen.pcap", hdr + pcap_record(100000, big), 24 + 8, 1))

    # three whole records, then the fourth record's header and half its data
    head = hdr + b"".join(recs[:3])
    r4 = recs[3]
    data4 = len(FRAMES[3][1])
    out.append(("err-cut-mid-record.pcap", head + r4[:16 + data4 // 2], len(head) + 16 + data4 // 2, 4))
    # three whole records, then 7 of the fourth record's 16 header bytes
    out.append(("err-cut-mid-header.pcap", head + r4[:7], len(head) + 7, 4))

    # pcapng: SHB, IDB, two good EPBs, then a broken block in the third packet's place
    ng_head = shb() + idb() + epbs(FRAMES[:2])
    t3, d3 = FRAMES[2]
    out.append(("err-pcapng-block-len-0.pcapng", ng_head + epb(t3, d3, total=0), len(ng_head) + 4, 3))
    out.append(("err-pcapng-block-len-ffffffff.pcapng", ng_head + epb(t3, d3, total=0xFFFFFFFF),
                len(ng_head) + 4, 3))
    good3 = epb(t3, d3)
    mism = epb(t3, d3, trailer=len(good3) + 4)  # the trailing copy says 4 bytes more
    out.append(("err-pcapng-block-len-mismatch.pcapng", ng_head + mism + epbs(FRAMES[3:]),
                len(ng_head) + len(good3) - 4, 3))
    out.append(("err-pcapng-no-shb.pcapng", idb() + epbs(FRAMES), 0, None))
    out.append(("err-pcapng-bad-interface.pcapng", ng_head + epb(t3, d3, ifid=5) + epbs(FRAMES[3:]),
                len(ng_head) + 8, 3))

    # gzip magic and method, then garbage: the deflate stream cannot be decoded
    garbage = bytes((i * 73 + 41) & 0xFF for i in range(64))
    out.append(("err-bad-gzip.pcap.gz", b"\x1f\x8b\x08\x00" + b"\0\0\0\0" + b"\x00\x03" + garbage, 10, None))

    out.append(("err-bad-version.pcap", pcap_header(vmaj=3, vmin=0) + b"".join(recs), 4, None))

    # extras beyond the brief's list
    # 0xFFFFFFFC is a multiple of 4: only a size limit stops a reader waiting for 4 GiB
    out.append(("err-pcapng-block-len-huge.pcapng", ng_head + epb(t3, d3, total=0xFFFFFFFC),
                len(ng_head) + 4, 3))
    # a pcapng file cut in the middle of its fourth EPB (a killed tcpdump --pcapng / dumpcap)
    full = ng_head + good3 + epbs(FRAMES[3:])
    e4 = epb(*FRAMES[3])
    out.append(("err-pcapng-cut-mid-block.pcapng", full[:len(full) - len(e4) // 2],
                len(full) - len(e4) // 2, 4))
    # a gzip stream cut at 2/3 of its compressed bytes, without its trailer (a killed
    # `tcpdump -w - | gzip`): the pcap inside holds records 1-2 and ends inside record 3
    whole = gzip.compress(hdr + b"".join(recs), compresslevel=9, mtime=0)
    out.append(("err-cut-gzip.pcap.gz", whole[:len(whole) * 2 // 3], len(whole) * 2 // 3, None))
    return out


def main(argv):
    args = [a for a in argv[1:] if a != "--offsets"]
    if len(args) != 1:
        sys.stderr.write("usage: bad.py [--offsets] OUTDIR\n")
        return 2
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    for name, data, off, rec in build():
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(data)
        if "--offsets" in argv:
            print("%s\t%d\t%s\t%d bytes" % (name, off, rec if rec else "-", len(data)))
        else:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
