#!/usr/bin/env -S /usr/bin/python3
"""variants.py IN.pcap OUTDIR

Rewrite the packets of one classic libpcap capture (microsecond timestamps,
either byte order, link type EN10MB) in every container / link-layer variant
synfin's readers support, so the tests can assert that each variant decodes to
the same TCP segments with the same timestamps.

Input of another link type (e.g. LINUX_SLL2 from `tcpdump -i any`) gets the
container variants only (ns, be, be-ns, pcapng, be.pcapng, ns.pcapng, spb,
two-sections, pcap.gz, pcapng.gz, cut), in its own link type, and a warning.

Only the standard library is used (struct, gzip): every byte written is the
one this file says it writes. Output is deterministic: the same input always
gives byte-identical outputs (gzip mtime is 0, no file name in the gzip header).

For IN = some/dir/NAME.pcap it writes, into OUTDIR:

  NAME.ns.pcap             pcap, nanosecond magic a1b23c4d (LE), timestamps x1000
  NAME.be.pcap             pcap, microsecond, big-endian (magic a1b2c3d4 as bytes)
  NAME.be-ns.pcap          pcap, nanosecond, big-endian
  NAME.pcapng              pcapng LE: SHB, IDB(EN10MB, if_tsresol=6), EPBs
                           (the first EPB carries an opt_comment, to be skipped)
  NAME.be.pcapng           the same, big-endian section
  NAME.ns.pcapng           pcapng LE, if_tsresol=9 (nanosecond timestamps)
  NAME.two-if.pcapng       SHB, IDB#0 EN10MB (no if_tsresol: default 10^-6),
                           IDB#1 RAW(101) with if_tsresol=9, an NRB, then packets:
                           odd frames (1,3,5..) on interface 0 as Ethernet, even
                           frames on interface 1 with the 14-byte Ethernet header
                           stripped. Blocks to skip: a local-use block of unknown
                           type 0x80000001 right after frame 1; after the last
                           packet a custom block (type 0x00000BAD, PEN 32473)
                           and an ISB for interface 0. The custom block is last
                           because Wireshark (>= 3.6) lists a custom block as a
                           record with a frame number of its own (tshark shows
                           it as frame N+1, capinfos does not count it): synfin
                           skips it, so frames 1..N agree either way.
                           Non-IP even frames (ARP...) stay on interface 0.
  NAME.spb.pcapng          SHB, IDB(EN10MB, snaplen = input snaplen), then one
                           Simple Packet Block per packet. SPBs carry NO
                           timestamp and no interface id: readers give them the
                           time 0 (tshark shows 1970-01-01) or the previous
                           packet's time; only the segments are comparable.
  NAME.two-sections.pcapng first half of the packets in a little-endian section
                           (its SHB gives the real section length), the second
                           half in a big-endian section (section length -1),
                           each section with its own IDB.
  NAME.pcap.gz             gzip of the input bytes as they are
  NAME.pcapng.gz           gzip of NAME.pcapng
  NAME.sll.pcap            LINUX_SLL (113): 16-byte cooked header: packet type
                           4 (outgoing) when the source MAC is the first frame's
                           source MAC and not all-zero, else 0 (to us); ARPHRD
                           type 1 (ETHER); address length 6; source MAC padded
                           with 2 zero bytes to 8; protocol = the EtherType.
  NAME.null.pcap           NULL (0): 4-byte address family in little-endian, as
                           a little-endian host writes it: AF_INET = 2,
                           AF_INET6 = 30 (macOS's value; FreeBSD uses 28,
                           NetBSD/OpenBSD 24: readers must accept all three).
  NAME.null-be.pcap        NULL (0), family in big-endian (a big-endian host),
                           same values 2 / 30. The pcap file header is still
                           little-endian: only the family word is big-endian.
  NAME.loop.pcap           LOOP (108, OpenBSD): family always big-endian;
                           AF_INET = 2, AF_INET6 = 24 (OpenBSD's value).
  NAME.raw.pcap            RAW (101): the IP packet only.
  NAME.vlan.pcap           EN10MB with an 802.1Q tag (TPID 0x8100, PCP 0,
                           VID 100) inserted after the MAC addresses.
  NAME.qinq.pcap           EN10MB with 802.1ad (TPID 0x88a8, VID 200) then
                           802.1Q (0x8100, VID 100).
  NAME.cut.pcap            the input truncated in the middle of its last
                           record's data (a killed tcpdump): the last record
                           header says caplen N, only N//2 bytes follow.

NULL, LOOP, RAW and the RAW interface of two-if can only carry IP: if the input
holds non-IP frames (ARP, LLDP...) the NULL/LOOP/RAW variants are not written
(a warning says so) rather than renumbering frames. Frames whose caplen is
shorter than 14 bytes are kept as they are in every Ethernet variant and make
the IP-only variants be skipped too.

Reference tools: tshark reads every variant. tcpdump (libpcap 1.10) cannot
read NAME.two-if.pcapng ("an interface has a type 101 different from the type
of the first interface") nor NAME.two-sections.pcapng (it misreads a section of
the other byte order): libpcap limits, not faults of the files.
check-variants.sh compares all variants with tshark.

Exit status: 0 done, 2 unreadable input.
"""
import gzip
import os
import struct
import sys

ETH_HDR = 14
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113

NULL_FAMILY = {ETHERTYPE_IPV4: 2, ETHERTYPE_IPV6: 30}   # NULL: macOS values
LOOP_FAMILY = {ETHERTYPE_IPV4: 2, ETHERTYPE_IPV6: 24}   # LOOP: OpenBSD values

CUSTOM_PEN = 32473  # the example Private Enterprise Number of RFC 5612
LOCAL_BLOCK_TYPE = 0x80000001  # bit 31 set: "reserved for local use", unknown to everyone


def die(msg):
    sys.stderr.write("variants.py: %s\n" % msg)
    sys.exit(2)


class Packet:
    __slots__ = ("sec", "usec", "caplen", "origlen", "data")

    def __init__(self, sec, usec, caplen, origlen, data):
        self.sec, self.usec, self.caplen, self.origlen, self.data = sec, usec, caplen, origlen, data

    @property
    def ethertype(self):
        if len(self.data) < ETH_HDR:
            return None
        return struct.unpack_from(">H", self.data, 12)[0]

    @property
    def us(self):
        return self.sec * 1000000 + self.usec

    @property
    def ns(self):
        return self.us * 1000


def read_pcap(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 24:
        die("%s: too short for a pcap file header (%d bytes)" % (path, len(raw)))
    magic = raw[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        die("%s: not a microsecond classic pcap (magic %s)" % (path, magic.hex()))
    vmaj, vmin, _tz, _sigfigs, snaplen, linktype = struct.unpack_from(e + "HHiIII", raw, 4)
    pkts = []
    off = 24
    while off < len(raw):
        if off + 16 > len(raw):
            sys.stderr.write("variants.py: warning: %s: cut inside record header at offset %d; ignored\n" % (path, off))
            break
        sec, usec, caplen, origlen = struct.unpack_from(e + "IIII", raw, off)
        if usec >= 1000000:
            die("%s: record %d at offset %d: usec %d >= 10^6" % (path, len(pkts) + 1, off, usec))
        if caplen > 0x40000:
            die("%s: record %d at offset %d: caplen %d implausible" % (path, len(pkts) + 1, off, caplen))
        if off + 16 + caplen > len(raw):
            sys.stderr.write("variants.py: warning: %s: record %d cut mid-data at offset %d; ignored\n"
                             % (path, len(pkts) + 1, off))
            break
        pkts.append(Packet(sec, usec, caplen, origlen, raw[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    if not pkts:
        die("%s: no packets" % path)
    return snaplen, linktype, pkts, raw


# ---------------------------------------------------------------- classic pcap

def pcap_bytes(pkts, linktype, snaplen, e="<", ns=False, frame=None):
    """frame(pkt) -> (data, origlen); default: the packet unchanged."""
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for p in pkts:
        data, origlen = frame(p) if frame else (p.data, p.origlen)
        frac = p.usec * 1000 if ns else p.usec
        out.append(struct.pack(e + "IIII", p.sec, frac, len(data), origlen))
        out.append(data)
    return b"".join(out)


def ip_only(p, strip=ETH_HDR):
    return p.data[strip:], p.origlen - strip


def null_frame(family_map, fe):
    def f(p):
        fam = family_map[p.ethertype]
        data, origlen = ip_only(p)
        return struct.pack(fe + "I", fam) + data, origlen + 4
    return f


def sll_frame(outgoing_mac):
    def f(p):
        src = p.data[6:12]
        pkttype = 4 if (outgoing_mac is not None and src == outgoing_mac) else 0
        hdr = struct.pack(">HHH", pkttype, 1, 6) + src + b"\0\0" + p.data[12:14]
        return hdr + p.data[ETH_HDR:], p.origlen - ETH_HDR + 16
    return f


def tagged_frame(tags):
    """tags: list of (tpid, tci) outermost first, inserted after the MACs."""
    ins = b"".join(struct.pack(">HH", tpid, tci) for tpid, tci in tags)

    def f(p):
        return p.data[:12] + ins + p.data[12:], p.origlen + len(ins)
    return f


# ---------------------------------------------------------------------- pcapng

def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def opt(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + pad4(value)


def opts(e, items):
    if not items:
        return b""
    return b"".join(opt(e, c, v) for c, v in items) + struct.pack(e + "HH", 0, 0)


def block(e, btype, body):
    body = pad4(body)
    total = 12 + len(body)
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


def shb(e, section_length=-1, appl=b"synfin captures/variants.py"):
    body = struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, section_length)
    body += opts(e, [(4, appl)])  # shb_userappl
    return block(e, 0x0A0D0D0A, body)


def idb(e, linktype, snaplen, tsresol=None, name=None):
    o = []
    if name is not None:
        o.append((2, name))  # if_name
    if tsresol is not None:
        o.append((9, bytes([tsresol])))  # if_tsresol
    return block(e, 1, struct.pack(e + "HHI", linktype, 0, snaplen) + opts(e, o))


def epb(e, ifid, ts, data, origlen, comment=None):
    body = struct.pack(e + "IIIII", ifid, (ts >> 32) & 0xFFFFFFFF, ts & 0xFFFFFFFF, len(data), origlen)
    body += pad4(data)
    if comment is not None:
        body += opts(e, [(1, comment)])  # opt_comment
    return block(e, 6, body)


def spb(e, data, origlen):
    return block(e, 3, struct.pack(e + "I", origlen) + pad4(data))


def nrb(e, entries):
    body = b""
    for addr, names in entries:
        v = bytes(int(x) for x in addr.split(".")) + b"".join(n + b"\0" for n in names)
        body += struct.pack(e + "HH", 1, len(v)) + pad4(v)  # nrb_record_ipv4
    body += struct.pack(e + "HH", 0, 0)  # nrb_record_end
    return block(e, 4, body)


def custom_block(e, pen, data):
    return block(e, 0x00000BAD, struct.pack(e + "I", pen) + data)


def isb(e, ifid, ts, ifrecv, ifdrop):
    body = struct.pack(e + "III", ifid, (ts >> 32) & 0xFFFFFFFF, ts & 0xFFFFFFFF)
    body += opts(e, [(4, struct.pack(e + "Q", ifrecv)), (5, struct.pack(e + "Q", ifdrop))])
    return block(e, 5, body)


def pcapng_simple(pkts, snaplen, e="<", tsresol=6, linktype=LINKTYPE_ETHERNET):
    out = [shb(e), idb(e, linktype, snaplen, tsresol=tsresol, name=b"eth0")]
    for i, p in enumerate(pkts):
        ts = p.us if tsresol == 6 else p.ns
        comment = b"synfin variant: first frame" if i == 0 else None
        out.append(epb(e, 0, ts, p.data, p.origlen, comment))
    return b"".join(out)


def pcapng_two_if(pkts, snaplen, raw_ok):
    e = "<"
    out = [shb(e),
           idb(e, LINKTYPE_ETHERNET, snaplen, tsresol=None, name=b"eth0"),
           idb(e, LINKTYPE_RAW, snaplen, tsresol=9, name=b"tun0"),
           nrb(e, [("10.99.0.1", [b"client.synfin.invalid"]),
                   ("10.99.0.2", [b"server.synfin.invalid"])])]
    for i, p in enumerate(pkts):
        frame_no = i + 1
        if frame_no % 2 == 0 and raw_ok(p):
            data, origlen = ip_only(p)
            out.append(epb(e, 1, p.ns, data, origlen))
        else:
            out.append(epb(e, 0, p.us, p.data, p.origlen))
        if frame_no == 1:
            out.append(block(e, LOCAL_BLOCK_TYPE, b"synfin: local-use block of unknown type, skip me"))
    # Wireshark >= 3.6 shows a custom block (0xBAD / 0x40000BAD) as a record of its
    # own with a frame number; put it after the last packet so that the packets
    # keep the same frame numbers in Wireshark and in a reader that skips it.
    out.append(custom_block(e, CUSTOM_PEN, b"synfin: custom block, skip me"))
    out.append(isb(e, 0, pkts[-1].us, len(pkts), 0))
    return b"".join(out)


def pcapng_spb(pkts, snaplen, linktype=LINKTYPE_ETHERNET):
    e = "<"
    out = [shb(e), idb(e, linktype, snaplen, tsresol=6, name=b"eth0")]
    for p in pkts:
        out.append(spb(e, p.data, p.origlen))
    return b"".join(out)


def pcapng_two_sections(pkts, snaplen, linktype=LINKTYPE_ETHERNET):
    half = (len(pkts) + 1) // 2
    # section 1, little-endian, with its real length
    rest1 = idb("<", linktype, snaplen, tsresol=6, name=b"eth0")
    rest1 += b"".join(epb("<", 0, p.us, p.data, p.origlen) for p in pkts[:half])
    s1 = shb("<", section_length=len(rest1)) + rest1
    # section 2, big-endian, length unspecified
    s2 = shb(">") + idb(">", linktype, snaplen, tsresol=6, name=b"eth0")
    s2 += b"".join(epb(">", 0, p.us, p.data, p.origlen) for p in pkts[half:])
    return s1 + s2


# ------------------------------------------------------------------------ main

def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: variants.py IN.pcap OUTDIR\n")
        return 2
    src, outdir = argv[1], argv[2]
    name = os.path.basename(src)
    if name.endswith(".pcap"):
        name = name[:-5]
    snaplen, lt, pkts, raw = read_pcap(src)
    os.makedirs(outdir, exist_ok=True)

    def is_ip(p):
        return len(p.data) >= ETH_HDR and p.ethertype in (ETHERTYPE_IPV4, ETHERTYPE_IPV6)

    all_ip = all(is_ip(p) for p in pkts)
    first_src = pkts[0].data[6:12] if len(pkts[0].data) >= 12 else None
    if first_src == b"\0" * 6:
        first_src = None
    big_snap = max([snaplen] + [p.caplen + 8 for p in pkts])

    written = []

    def put(suffix, data):
        path = os.path.join(outdir, name + suffix)
        with open(path, "wb") as f:
            f.write(data)
        written.append(path)

    put(".ns.pcap", pcap_bytes(pkts, lt, snaplen, "<", ns=True))
    put(".be.pcap", pcap_bytes(pkts, lt, snaplen, ">"))
    put(".be-ns.pcap", pcap_bytes(pkts, lt, snaplen, ">", ns=True))
    ng = pcapng_simple(pkts, snaplen, "<", 6, lt)
    put(".pcapng", ng)
    put(".be.pcapng", pcapng_simple(pkts, snaplen, ">", 6, lt))
    put(".ns.pcapng", pcapng_simple(pkts, snaplen, "<", 9, lt))
    put(".spb.pcapng", pcapng_spb(pkts, snaplen, lt))
    put(".two-sections.pcapng", pcapng_two_sections(pkts, snaplen, lt))
    put(".pcap.gz", gz(raw))
    put(".pcapng.gz", gz(ng))
    # cut: everything up to the last record, its 16-byte header, half its data
    whole = pcap_bytes(pkts, lt, snaplen, "<")
    last = pkts[-1]
    put(".cut.pcap", whole[:len(whole) - last.caplen + last.caplen // 2])
    if lt != LINKTYPE_ETHERNET:
        sys.stderr.write("variants.py: warning: %s: link type %d is not EN10MB: only the container variants "
                         "were written (no two-if, sll, null, null-be, loop, raw, vlan, qinq)\n" % (src, lt))
        for w in written:
            print(w)
        return 0
    put(".two-if.pcapng", pcapng_two_if(pkts, snaplen, is_ip))
    if all(len(p.data) >= ETH_HDR for p in pkts):
        put(".sll.pcap", pcap_bytes(pkts, LINKTYPE_LINUX_SLL, snaplen, "<", frame=sll_frame(first_src)))
    else:
        sys.stderr.write("variants.py: warning: %s: a frame shorter than 14 bytes: no .sll.pcap\n" % src)
    if all_ip:
        put(".null.pcap", pcap_bytes(pkts, LINKTYPE_NULL, snaplen, "<", frame=null_frame(NULL_FAMILY, "<")))
        put(".null-be.pcap", pcap_bytes(pkts, LINKTYPE_NULL, snaplen, "<", frame=null_frame(NULL_FAMILY, ">")))
        put(".loop.pcap", pcap_bytes(pkts, LINKTYPE_LOOP, snaplen, "<", frame=null_frame(LOOP_FAMILY, ">")))
        put(".raw.pcap", pcap_bytes(pkts, LINKTYPE_RAW, snaplen, "<", frame=ip_only))
    else:
        sys.stderr.write("variants.py: warning: %s: non-IP frames present: no .null/.null-be/.loop/.raw variants\n"
                         % src)
    put(".vlan.pcap", pcap_bytes(pkts, LINKTYPE_ETHERNET, big_snap, "<", frame=tagged_frame([(0x8100, 100)])))
    put(".qinq.pcap", pcap_bytes(pkts, LINKTYPE_ETHERNET, big_snap, "<",
                                 frame=tagged_frame([(0x88A8, 200), (0x8100, 100)])))
    for w in written:
        print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
