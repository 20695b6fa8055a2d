#!/usr/bin/env bash
# Records the same loopback HTTP test ten times: captures/rerun/http-close-NN.pcap.
#
#   sudo captures/record-rerun.sh
#
# The test a CI suite re-runs: a client asks 127.0.0.1:8080 for a page, the
# server answers with "Connection: close", and both ends then close() at the
# same moment (a shared deadline on CLOCK_MONOTONIC, each end spinning on it in
# its own process). Whose FIN the kernel sends first, and whether the other
# FIN had arrived before its own left, is up to the scheduler: one run's close
# is four-way (client first), the next simultaneous, the next four-way (server
# first). captures/rerun/ holds ten such runs; `synfin diff` must find no
# difference between any two (test/report/rerun.test.ts).
#
# A fresh network namespace per run (loopback only, nothing leaves it),
# tcpdump -i lo inside it, the two ends in scenarios/rerun.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/rerun"
PY=/usr/bin/python3
NS=synfin-rerun
RUNS=10
export LC_ALL=C TZ=UTC

log() { printf '[record-rerun] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"

need_pkgs=()
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v ip >/dev/null || need_pkgs+=(iproute2)
[[ -x $PY ]] || need_pkgs+=(python3)
if ((${#need_pkgs[@]})); then
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${need_pkgs[@]}"
fi

WORK="$(mktemp -d /tmp/synfin-rerun.XXXXXX)"
TCPDUMP_PID=
cleanup() {
  local rc=$?
  [[ -n $TCPDUMP_PID ]] && kill -KILL "$TCPDUMP_PID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
for ((i = 1; i <= RUNS; i++)); do
  name=$(printf 'http-close-%02d' "$i")
  pcap="$OUT/$name.pcap"
  ip netns del "$NS" 2>/dev/null || true
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  # one segment per frame, as a NIC would put it on the wire
  ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$NS" tcpdump -i lo -w "$pcap" -U -s 0 --immediate-mode -Z root 'tcp port 8080' 2>"$WORK/tcpdump.err" &
  TCPDUMP_PID=$!
  for _ in {1..100}; do grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
  grep -q 'listening on' "$WORK/tcpdump.err" || { cat "$WORK/tcpdump.err" >&2; die "tcpdump did not start"; }
  ip netns exec "$NS" "$PY" "$HERE/scenarios/rerun.py" >&2
  sleep 0.3
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  ip netns del "$NS"
  chmod 644 "$pcap"
  log "$name: $(tcpdump -nr "$pcap" 2>/dev/null | grep -c 'Flags \[F' || true) FINs"
done
