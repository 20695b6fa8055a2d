#!/usr/bin/python3
"""check.py NAME NAME.tcpdump.txt NAME.ss.txt

Asserts that a freshly recorded capture shows what its name says, reading the
`tcpdump -nr` text and the `ss -tanoi` ground truth that record.sh saved.
Exit 0 if it does; otherwise print why and exit 1 (record.sh then records the
scenario again).
"""
import re
import subprocess
import sys

CLIENTS = ("10.99.0.1", "fd00:99::1")

LINE = re.compile(
    r"^(?P<t>\d\d:\d\d:\d\d\.\d+) (?:\S+\s+(?:In|Out|M|B|P)\s+)?IP6? "
    r"(?P<src>\S+)\.(?P<sport>\d+) > (?P<dst>\S+)\.(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]*)\](?P<rest>.*)$")


class P:
    def __init__(self, m, n):
        self.n = n
        h, mi, s = m["t"].split(":")
        self.t = int(h) * 3600 + int(mi) * 60 + float(s)
        self.dir = "c" if m["src"] in CLIENTS else "s"
        self.saddr = m["src"] if self.dir == "s" else m["dst"]
        self.cport = int(m["sport"] if self.dir == "c" else m["dport"])
        self.flags = m["flags"]
        rest = m["rest"]
        sq = re.search(r"seq (\d+)(?::(\d+))?", rest)
        self.seq = int(sq[1]) if sq else None
        self.end = int(sq[2]) if sq and sq[2] else self.seq
        a = re.search(r"ack (\d+)", rest)
        self.ack = int(a[1]) if a else None
        w = re.search(r"win (\d+)", rest)
        self.win = int(w[1]) if w else None
        ln = re.search(r"length (\d+)", rest)
        self.len = int(ln[1]) if ln else 0

    def __repr__(self):
        return f"#{self.n} {self.dir} [{self.flags}] seq={self.seq} ack={self.ack} len={self.len}"


def parse(path):
    out = []
    for i, line in enumerate(open(path), 1):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            raise SystemExit(f"unparsed tcpdump line {i}: {line!r}")
        out.append(P(m, i))
    return out


def ss_states(path):
    """{'client': [(state, local, peer)], 'server': [...]}"""
    side, res = None, {"client": [], "server": []}
    for line in open(path):
        if line.startswith("# client"):
            side = "client"
        elif line.startswith("# server"):
            side = "server"
        elif line and not line[0].isspace() and not line.startswith("State"):
            f = line.split()
            if len(f) >= 5:
                res[side].append((f[0], f[3], f[4]))
    return res


def has(ss, side, state, port=None):
    return any(s == state and (port is None or l.endswith(f":{port}") or p.endswith(f":{port}"))
               for s, l, p in ss[side])


def close_seq(pk):
    i = next(i for i, p in enumerate(pk) if "F" in p.flags or "R" in p.flags)
    return [(p.dir, p.flags) for p in pk[i:]]


def fail(msg):
    print(f"check: {NAME}: {msg}")
    sys.exit(1)


def req(cond, msg):
    if not cond:
        fail(msg)


def four_way_client(pk, ss, port):
    cs = close_seq(pk)
    req(cs == [("c", "F."), ("s", "."), ("s", "F."), ("c", ".")], f"close sequence {cs}")
    req(has(ss, "client", "TIME-WAIT", port), "ss: client not in TIME-WAIT")


def demo_mixed(pk, ss):
    """Five stories, one per client port 41601-41605 (server port 9601-9605)."""
    req(len(pk) < 150, f"{len(pk)} frames")
    ports = {p.cport for p in pk}
    req(ports == {41601, 41602, 41603, 41604, 41605}, f"client ports {sorted(ports)}")
    by = {port: [p for p in pk if p.cport == port] for port in ports}
    socks = {port: [x for side in ("client", "server") for x in ss[side]
                    if x[0] != "LISTEN" and (x[1].endswith(f":{port}") or x[2].endswith(f":{port}"))]
             for port in ports}
    end = pk[-1].t
    # 1: four-way close, client first
    f = by[41601]
    req([p.flags for p in f[:3]] == ["S", "S.", "."], "41601: no three-way handshake")
    cs = close_seq(f)
    req(cs == [("c", "F."), ("s", "."), ("s", "F."), ("c", ".")], f"41601: close sequence {cs}")
    req(has(ss, "client", "TIME-WAIT", 41601) and len(socks[41601]) == 1, f"41601: ss {socks[41601]}")
    # 2: refused
    f = by[41602]
    req([(p.dir, p.flags) for p in f] == [("c", "S"), ("s", "R.")], "41602: not SYN, RST-ACK")
    req(not socks[41602], f"41602: ss {socks[41602]}")
    # 3: server stuck in CLOSE_WAIT for the rest of the capture
    f = by[41603]
    cs = close_seq(f)
    req(cs == [("c", "F."), ("s", ".")], f"41603: close sequence {cs}")
    req(end - f[-1].t >= 5.5, f"41603: CLOSE_WAIT only {end - f[-1].t:.2f} s before the last frame")
    req(has(ss, "client", "FIN-WAIT-2", 41603) and has(ss, "server", "CLOSE-WAIT", 41603)
        and len(socks[41603]) == 2, f"41603: ss {socks[41603]}")
    # 4: lost final ACK: the server resends its FIN, the client re-ACKs from TIME_WAIT
    f = by[41604]
    fs = [p for p in f if p.dir == "s" and "F" in p.flags]
    req(len(fs) >= 2, "41604: server FIN not retransmitted")
    fin_c = next(p for p in f if p.dir == "c" and "F" in p.flags)
    req(f.index(fin_c) < f.index(fs[0]), "41604: client did not close first")
    ca = [p for p in f if p.dir == "c" and p.flags == "." and p.ack == fs[0].seq + 1]
    req(len(ca) >= 2 and ca[-1] is f[-1], "41604: client did not re-ACK the retransmitted FIN")
    req(has(ss, "client", "TIME-WAIT", 41604) and len(socks[41604]) == 1, f"41604: ss {socks[41604]}")
    # 5: three SYNs to the second server address, never answered
    f = by[41605]
    req([(p.dir, p.flags, p.saddr) for p in f] == [("c", "S", "10.99.0.3")] * 3, f"41605: not 3 SYNs: {f}")
    g1, g2 = f[1].t - f[0].t, f[2].t - f[1].t
    req(0.9 < g1 < 1.3 and 1.9 < g2 < 2.4, f"41605: SYN gaps {g1:.2f} {g2:.2f}")
    req(f[-1] is pk[-1], "41605: the last SYN is not the capture's last frame")
    req(not socks[41605], f"41605: ss {socks[41605]}")
    req(5.0 <= end - pk[0].t <= 8.0, f"capture spans {end - pk[0].t:.2f} s")
    req(not any(p.saddr == "10.99.0.3" for p in pk if p.cport != 41605), "other traffic to 10.99.0.3")


def main():
    pk = parse(TXT)
    ss = ss_states(SS)
    req(pk, "empty capture")
    n = NAME
    if n in ("normal-close-client", "ipv6-normal-close", "any-sll2-normal-close"):
        req([p.flags for p in pk[:3]] == ["S", "S.", "."], "no three-way handshake")
        four_way_client(pk, ss, {"normal-close-client": 41001, "ipv6-normal-close": 41018,
                                 "any-sll2-normal-close": 41020}[n])
        if n == "ipv6-normal-close":
            req(all(":" in line.split(" > ")[0] for line in open(TXT)), "not all IPv6")
        if n == "any-sll2-normal-close":
            pcap = TXT.replace(".tcpdump.txt", ".pcap")
            out = subprocess.run(["capinfos", "-E", pcap], capture_output=True, text=True).stdout
            req("Linux cooked-mode capture v2" in out, f"capinfos: {out.strip()}")
    elif n == "normal-close-server":
        cs = close_seq(pk)
        req(cs == [("s", "F."), ("c", "."), ("c", "F."), ("s", ".")], f"close sequence {cs}")
        req(has(ss, "server", "TIME-WAIT", 41002), "ss: server not in TIME-WAIT")
        req(not has(ss, "client", "TIME-WAIT"), "ss: client in TIME-WAIT")
    elif n == "three-segment-close":
        cs = close_seq(pk)
        req(cs == [("c", "F."), ("s", "F."), ("c", ".")], f"close sequence {cs}")
        fin_c, fin_s = pk[-3], pk[-2]
        req(fin_s.ack == fin_c.seq + 1, "server FIN does not ACK the client FIN")
        req(has(ss, "client", "TIME-WAIT", 41003), "ss: client not in TIME-WAIT")
    elif n == "half-close":
        i = next(i for i, p in enumerate(pk) if "F" in p.flags)
        req(pk[i].dir == "c", "client did not close first")
        after = [p for p in pk[i + 1:] if p.dir == "s" and p.len > 0]
        req(len(after) >= 3, "server sent no data after the client's FIN")
        req(after[-1].t - pk[i].t >= 0.15, "server data did not continue ~200 ms")
        cs = [(p.dir, p.flags) for p in pk if "F" in p.flags]
        req(cs == [("c", "F."), ("s", "F.")], f"FINs {cs}")
        req(pk[-1].dir == "c" and pk[-1].flags == ".", "last segment is not the client's ACK")
        req(has(ss, "client", "TIME-WAIT", 41004), "ss: client not in TIME-WAIT")
    elif n == "stuck-close-wait":
        cs = close_seq(pk)
        req(cs == [("c", "F."), ("s", ".")], f"close sequence {cs}")
        req(has(ss, "client", "FIN-WAIT-2", 41005), "ss: client not in FIN-WAIT-2")
        req(has(ss, "server", "CLOSE-WAIT", 9505), "ss: server not in CLOSE-WAIT")
    elif n == "rst-linger0":
        req(not any("F" in p.flags for p in pk), "FIN seen")
        req(pk[-1].dir == "c" and "R" in pk[-1].flags, "last segment is not the client's RST")
        req(sum("R" in p.flags for p in pk) == 1, "more than one RST")
    elif n == "rst-unread-data":
        req(not any("F" in p.flags for p in pk), "FIN seen")
        req(pk[-1].dir == "s" and "R" in pk[-1].flags, "last segment is not the server's RST")
    elif n == "refused":
        req([(p.dir, p.flags) for p in pk] == [("c", "S"), ("s", "R.")], "not SYN, RST-ACK")
    elif n == "syn-unanswered":
        req([(p.dir, p.flags) for p in pk] == [("c", "S")] * 3, f"not 3 SYNs: {pk}")
        g1, g2 = pk[1].t - pk[0].t, pk[2].t - pk[1].t
        req(0.9 < g1 < 1.3 and 1.9 < g2 < 2.4, f"SYN gaps {g1:.2f} {g2:.2f}")
        req(not ss["client"], "ss: client socket still exists")
    elif n == "synack-unacked":
        fl = [(p.dir, p.flags) for p in pk]
        req(fl[0] == ("c", "S") and fl[1:] == [("s", "S.")] * (len(fl) - 1) and len(fl) >= 3,
            f"not SYN then repeated SYN-ACKs: {fl}")
        req(has(ss, "server", "SYN-RECV", 41010), "ss: server not in SYN-RECV")
    elif n == "simultaneous-close":
        fins = [p for p in pk if "F" in p.flags]
        first = {d: next(p for p in fins if p.dir == d) for d in "cs"}
        # no FIN acknowledges the other side's FIN: they crossed every time
        for p in fins:
            other = first["s" if p.dir == "c" else "c"]
            req(p.ack == other.seq, f"FIN {p} acknowledges the other FIN (not crossed)")
        req({p.dir for p in fins} == {"c", "s"} and len(fins) >= 4, f"FINs {fins}")
        tail = pk[pk.index(fins[-1]) + 1:]
        acks = {p.dir: p.ack for p in tail if p.flags == "."}
        req(acks.get("c") == first["s"].seq + 1 and acks.get("s") == first["c"].seq + 1,
            f"final ACKs {tail}")
        req(has(ss, "client", "TIME-WAIT", 41011) and has(ss, "server", "TIME-WAIT", 9511),
            "ss: not both TIME-WAIT")
    elif n == "lost-final-ack":
        fs = [p for p in pk if p.dir == "s" and "F" in p.flags]
        req(len(fs) >= 2, "server FIN not retransmitted")
        fin_c = next(p for p in pk if p.dir == "c" and "F" in p.flags)
        req(pk.index(fin_c) < pk.index(fs[0]), "client did not close first")
        ca = [p for p in pk if p.dir == "c" and p.flags == "." and p.ack == fs[0].seq + 1]
        req(len(ca) >= 2 and ca[-1] is pk[-1], "client did not re-ACK the retransmitted FIN")
        req(has(ss, "client", "TIME-WAIT", 41012), "ss: client not in TIME-WAIT")
        req(not any(s != "LISTEN" for s, _, _ in ss["server"]), "ss: server socket left")
    elif n == "retransmission":
        data = [(p.seq, p.end) for p in pk if p.dir == "c" and p.len > 0]
        req(len(data) != len(set(data)), "no retransmitted client data")
        four_way_client(pk, ss, 41013)
    elif n == "keepalive":
        last_data = max(i for i, p in enumerate(pk) if p.len > 0)
        fin = next(i for i, p in enumerate(pk) if "F" in p.flags)
        probes = [p for p in pk[last_data + 1:fin] if p.dir == "c" and p.flags == "." and p.len == 0]
        probes = [p for p in probes if p.t - pk[last_data].t > 0.5]
        req(len(probes) >= 2, f"{len(probes)} keep-alive probes")
        four_way_client(pk, ss, 41014)
    elif n == "zero-window":
        z = [p for p in pk if p.dir == "s" and p.win == 0]
        req(z, "no zero window")
        i0 = pk.index(z[0])
        i1 = next(i for i, p in enumerate(pk) if i > i0 and p.dir == "s" and p.win)
        probes = [p for p in pk[i0:i1] if p.dir == "c" and p.len == 0 and p.flags == "."]
        req(len(probes) >= 2, "fewer than 2 zero-window probes")
        req(probes[-1].t - z[0].t > 1.0, "zero window lasted < 1 s")
        four_way_client(pk, ss, 41015)
    elif n == "tuple-reuse":
        syns = [p for p in pk if p.flags == "S"]
        req(len(syns) == 2 and len({p.cport for p in syns}) == 1, "not two SYNs on one tuple")
        i2 = pk.index(syns[1])
        fins1 = [p for p in pk[:i2] if "F" in p.flags]
        req(fins1 and fins1[0].dir == "s", "server did not close the first connection first")
        req(pk[i2 + 1].flags == "S." and pk[i2 + 2].flags == ".", "second handshake incomplete")
        req(syns[1].t - fins1[-1].t < 1.0, "reconnect not within a second")
        four_way_client(pk[i2:], ss, 41016)
    elif n == "concurrent-200":
        syns = [p for p in pk if p.flags == "S"]
        req(len(syns) == 200 and len({p.cport for p in syns}) == 200, "not 200 connections")
        first_fin = next(i for i, p in enumerate(pk) if "F" in p.flags)
        req(pk.index(syns[-1]) < first_fin, "connections not all open at once")
        req(sum(s == "TIME-WAIT" for s, _, _ in ss["client"]) == 200, "ss: not 200 client TIME-WAIT")
        req(not any("R" in p.flags for p in pk), "RST seen")
    elif n == "accept-queue-full":
        # a flow whose SYN-ACK is repeated after the client's handshake ACK,
        # and ss says the server still holds it in SYN-RECV
        found = []
        for port in sorted({p.cport for p in pk}):
            f = [p for p in pk if p.cport == port]
            hs_ack = next((i for i, p in enumerate(f) if p.dir == "c" and p.flags == "."), None)
            if hs_ack is not None and any(p.flags == "S." for p in f[hs_ack + 1:]):
                found.append(port)
        req(found, "no SYN-ACK repeated after the final ACK")
        over = [p for p in found if has(ss, "server", "SYN-RECV", p) and has(ss, "client", "ESTAB", p)]
        req(over, "ss: no connection ESTAB at the client and SYN-RECV at the server")
        req(all(p in over for p in found), f"SYN-ACK repeated after ACK on accepted flow(s) {found}")
    elif n == "syn-injected":
        syns = [p for p in pk if p.flags == "S"]
        req(len(syns) == 3 and len({p.cport for p in syns}) == 1, f"SYNs {syns}")
        for syn in syns[1:]:
            i = pk.index(syn)
            nxt = pk[i + 1]
            req(nxt.dir == "s" and nxt.flags == "." and nxt.len == 0, f"no challenge ACK after {syn}: {nxt}")
        four_way_client(pk, ss, 41022)
    elif n == "keepalive-death":
        last_data = max(i for i, p in enumerate(pk) if p.len > 0)
        tail = pk[last_data + 1:]
        probes = [p for p in tail if p.dir == "c" and p.flags == "." and p.len == 0 and p.t - pk[last_data].t > 0.5]
        req(len(probes) == 3, f"{len(probes)} keep-alive probes")
        req(not any(p.dir == "s" for p in tail if p.t > probes[0].t), "the server answered a probe")
        req(tail[-1].dir == "c" and "R" in tail[-1].flags, f"capture does not end with the client's RST: {tail[-1]}")
        req(not has(ss, "client", "ESTAB", 41023), "ss: client still ESTAB")
        req(has(ss, "server", "ESTAB", 9523), "ss: server not ESTAB")
    elif n in ("retransmission-death", "retransmitting-at-end"):
        port = 41024 if n == "retransmission-death" else 41025
        data = [p for p in pk if p.dir == "c" and p.len > 0 and p.cport == port]
        last = data[-1]
        again = [p for p in data if (p.seq, p.end) == (last.seq, last.end)]
        req(len(again) >= 4, f"only {len(again)} transmissions of the last data")
        req(not any(p.dir == "s" and p.cport == port for p in pk if p.t > again[0].t), "the server answered")
        gap = again[-1].t - again[-2].t
        silence = pk[-1].t - again[-1].t
        mine = [p for p in pk if p.cport == port]
        req(mine[-1] is again[-1], "the connection has frames after the last retransmission")
        if n == "retransmission-death":
            req(silence > 3 * gap, f"silence {silence:.2f} s after a {gap:.2f} s gap")
            four_way_client([p for p in pk if p.cport == 41026], ss, 41026)
            req(not has(ss, "client", "ESTAB", port), "ss: client still ESTAB")
        else:
            req(has(ss, "client", "ESTAB", port), "ss: client not ESTAB")
        req(has(ss, "server", "ESTAB", 9524 if n == "retransmission-death" else 9525), "ss: server not ESTAB")
    elif n == "demo-mixed":
        demo_mixed(pk, ss)
    else:
        fail("no check for this scenario")
    print(f"check: {n}: ok")


if __name__ == "__main__":
    NAME, TXT, SS = sys.argv[1:4]
    main()
