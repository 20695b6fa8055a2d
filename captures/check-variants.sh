#!/usr/bin/env bash
# check-variants.sh DIR [REFDIR]
#
# Checks the files variants.py wrote into DIR: for every NAME found there, each
# variant must hold the same TCP segments, in the same frames, with the same
# timestamps as the reference capture:
#   REFDIR/NAME.pcap (REFDIR defaults to DIR's parent folder), else DIR/NAME.pcap,
#   else DIR/NAME.pcap.gz (variants.py writes the input's own bytes there).
# Compared per TCP frame (tshark -Y tcp): frame.number, frame.time_epoch,
# addresses, ports, tcp.seq_raw, tcp.ack_raw, tcp.flags, tcp.len; and the packet
# count given by capinfos. Exceptions, all by design:
#   NAME.spb.pcapng  SPBs have no timestamps: time not compared
#   NAME.cut.pcap    must equal the reference minus its last frame, and both
#                    tshark and capinfos must report it as cut short
#   NAME.{null,null-be,loop,raw}.pcap may be missing when the reference holds
#                    non-IP frames (variants.py skips them then)
#   the link-layer variants (two-if sll null null-be loop raw vlan qinq) may be
#                    missing when the reference is not Ethernet (e.g. SLL2)
# Prints one line per file, a diff for each mismatch; exits 1 on any mismatch
# or missing variant, 2 on bad usage. Needs tshark and capinfos.
set -u
export LC_ALL=C

dir=${1:-}
if [ -z "$dir" ] || [ ! -d "$dir" ] || [ $# -gt 2 ]; then
  echo "usage: check-variants.sh DIR [REFDIR]" >&2
  exit 2
fi
refdir=${2:-$(dirname -- "$dir")}
command -v tshark >/dev/null && command -v capinfos >/dev/null || { echo "check-variants.sh: needs tshark and capinfos" >&2; exit 2; }

# longest first, so NAME.be.pcapng is not taken for NAME.be + .pcapng
suffixes=(.two-sections.pcapng .two-if.pcapng .spb.pcapng .be.pcapng .ns.pcapng .pcapng.gz .pcapng
          .be-ns.pcap .null-be.pcap .pcap.gz .be.pcap .ns.pcap .sll.pcap .null.pcap .loop.pcap
          .raw.pcap .vlan.pcap .qinq.pcap .cut.pcap)
iponly=" .null.pcap .null-be.pcap .loop.pcap .raw.pcap "
linkvars=" .two-if.pcapng .sll.pcap .null.pcap .null-be.pcap .loop.pcap .raw.pcap .vlan.pcap .qinq.pcap "

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fields=(-e frame.number -e frame.time_epoch -e ip.src -e ipv6.src -e tcp.srcport
        -e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.len)

rows() {  # rows FILE -> stdout; tshark's status in $tmp/rc
  tshark -n -r "$1" -Y tcp -T fields "${fields[@]}" 2>"$tmp/err"
  echo $? >"$tmp/rc"
}

count() {  # packet count according to capinfos
  capinfos -M -c "$1" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}'
}

names=$(for f in "$dir"/*; do
  b=$(basename -- "$f")
  for s in "${suffixes[@]}"; do
    case $b in *"$s") echo "${b%"$s"}"; break;; esac
  done
done | sort -u)

if [ -z "$names" ]; then
  echo "check-variants.sh: no variants in $dir" >&2
  exit 1
fi

fail=0
for name in $names; do
  ref=
  for r in "$refdir/$name.pcap" "$dir/$name.pcap" "$dir/$name.pcap.gz"; do
    [ -f "$r" ] && { ref=$r; break; }
  done
  if [ -z "$ref" ]; then
    echo "FAIL $name: no reference capture ($refdir/$name.pcap or $dir/$name.pcap.gz)"
    fail=1; continue
  fi
  rows "$ref" >"$tmp/ref"
  if [ "$(cat "$tmp/rc")" != 0 ] || [ ! -s "$tmp/ref" ]; then
    echo "FAIL $name: reference $ref unreadable or without TCP: $(cat "$tmp/err")"
    fail=1; continue
  fi
  nref=$(count "$ref")
  encap=$(capinfos -M -E "$ref" 2>/dev/null | awk -F': *' '/File encapsulation/ {print $2}')
  nonip=$(tshark -n -r "$ref" -Y 'not ip and not ipv6' -T fields -e frame.number 2>/dev/null | wc -l)
  cut -f1,3- "$tmp/ref" >"$tmp/ref-notime"
  awk -F'\t' -v last="$nref" '$1 != last' "$tmp/ref" >"$tmp/ref-cut"

  for s in "${suffixes[@]}"; do
    f="$dir/$name$s"
    if [ ! -f "$f" ]; then
      if [[ $linkvars == *" $s "* ]] && [ "$encap" != ether ]; then
        echo "skip $name$s (reference link type is $encap, not ether)"
      elif [[ $iponly == *" $s "* ]] && [ "$nonip" -gt 0 ]; then
        echo "skip $name$s (reference has $nonip non-IP frames)"
      else
        echo "FAIL $name$s: missing"; fail=1
      fi
      continue
    fi
    rows "$f" >"$tmp/got"
    rc=$(cat "$tmp/rc")
    n=$(count "$f")
    case $s in
      .spb.pcapng) cut -f1,3- "$tmp/got" >"$tmp/got2"; exp="$tmp/ref-notime"; nexp=$nref; rcexp=0 ;;
      .cut.pcap)   cp "$tmp/got" "$tmp/got2"; exp="$tmp/ref-cut"; nexp=$((nref - 1)); rcexp=2
                   grep -q 'cut short' "$tmp/err" || { echo "FAIL $name$s: tshark does not call it cut short"; fail=1; } ;;
      *)           cp "$tmp/got" "$tmp/got2"; exp="$tmp/ref"; nexp=$nref; rcexp=0 ;;
    esac
    bad=
    [ "$rc" = "$rcexp" ] || bad="tshark exit $rc, expected $rcexp: $(grep -v 'Running as user' "$tmp/err" | head -2)"
    [ "$n" = "$nexp" ] || bad="${bad:+$bad; }capinfos counts ${n:-?} packets, expected $nexp"
    if ! cmp -s "$exp" "$tmp/got2"; then
      bad="${bad:+$bad; }TCP rows differ"
    fi
    if [ -n "$bad" ]; then
      echo "FAIL $name$s: $bad"
      diff "$exp" "$tmp/got2" | head -20
      fail=1
    else
      echo "ok   $name$s ($(wc -l <"$tmp/got2") TCP frames)"
    fi
  done
done
exit $fail
