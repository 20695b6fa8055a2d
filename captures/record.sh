#!/usr/bin/env bash
# Re-records the real-kernel TCP captures in this folder.
#
#   sudo captures/record.sh              # every scenario
#   sudo captures/record.sh NAME...      # only these (e.g. refused zero-window)
#
# For each scenario it builds two fresh network namespaces joined by a veth
# pair, captures on the client's veth with tcpdump, drives both endpoints with
# captures/scenarios/scenarios.py (real kernel sockets; packet loss is made by
# pointing a neighbour entry at a MAC nobody owns), then saves:
#
#   NAME.pcap          the capture
#   NAME.ss.txt        `ss -tanoi` in both namespaces at the end of the
#                      scenario, while its sockets still exist (ground truth
#                      for the analyser's final states)
#   NAME.tcpdump.txt   `tcpdump -nr NAME.pcap` (relative seq/ack, LC_ALL=C TZ=UTC)
#
# Then it writes captures/variants/ (variants.py: every format and link type
# of a few of them), the crafted captures (craft.py) and captures/bad/ (bad.py).
#
# Each capture is checked (scenarios/check.py) to show what its name says;
# timing-sensitive scenarios are re-recorded up to 4 times before giving up.
# No traffic leaves the two namespaces.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
NS_C=synfin-c
NS_S=synfin-s
IF_C=veth-c
IF_S=veth-s
MAC_C=02:00:00:00:00:01
MAC_S=02:00:00:00:00:02
ATTEMPTS=4
export LC_ALL=C TZ=UTC

SCENARIOS=(
  normal-close-client normal-close-server three-segment-close half-close
  stuck-close-wait rst-linger0 rst-unread-data refused syn-unanswered
  synack-unacked simultaneous-close lost-final-ack retransmission keepalive
  zero-window tuple-reuse concurrent-200 ipv6-normal-close accept-queue-full
  any-sll2-normal-close demo-mixed syn-injected keepalive-death
  retransmission-death retransmitting-at-end
)

log() { printf '[record] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"

# --- packages ---------------------------------------------------------------
need_pkgs=()
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v ip >/dev/null && command -v ss >/dev/null || need_pkgs+=(iproute2)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
command -v capinfos >/dev/null || need_pkgs+=(tshark)
[[ -x $PY ]] || need_pkgs+=(python3)
if [[ -x $PY ]] && ! $PY -c 'import scapy' 2>/dev/null; then need_pkgs+=(python3-scapy); fi
if ((${#need_pkgs[@]})); then
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${need_pkgs[@]}"
  $PY -c 'import scapy' 2>/dev/null || apt-get install -y python3-scapy
fi

# --- namespaces -------------------------------------------------------------
WORK="$(mktemp -d /tmp/synfin-record.XXXXXX)"
PIDS=()

kill_pids() {
  local p
  for p in "${PIDS[@]}"; do
    kill -INT "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}

ns_down() {
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  kill_pids
  ns_down
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns_sysctls() { # NS
  local ns=$1
  ip netns exec "$ns" sysctl -qw \
    net.ipv4.tcp_syn_retries=2 \
    net.ipv4.tcp_synack_retries=2 \
    net.ipv4.tcp_fin_timeout=60 \
    net.ipv4.tcp_abort_on_overflow=0 \
    net.ipv4.tcp_no_metrics_save=1 \
    net.ipv4.tcp_timestamps=1 \
    net.ipv4.tcp_sack=1 \
    net.ipv6.conf.all.accept_dad=0 \
    net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.disable_ipv6=0
  # Linux >= 6.5 retransmits the first SYNs with a linear 1 s timeout
  # (default 4); 0 restores the classic exponential 1, 2, 4 s backoff.
  if ip netns exec "$ns" test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts; then
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
  fi
}

ns_up() {
  ns_down
  ip netns add "$NS_C"
  ip netns add "$NS_S"
  ns_sysctls "$NS_C"
  ns_sysctls "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" link add "$IF_C" address "$MAC_C" type veth peer name "$IF_S" address "$MAC_S" netns "$NS_S"
  # one segment per frame, real checksums: what a NIC would put on the wire
  ip netns exec "$NS_C" ethtool -K "$IF_C" tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$NS_S" ethtool -K "$IF_S" tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip -n "$NS_C" addr add 10.99.0.1/24 dev "$IF_C"
  ip -n "$NS_S" addr add 10.99.0.2/24 dev "$IF_S"
  ip -n "$NS_C" addr add fd00:99::1/64 dev "$IF_C" nodad
  ip -n "$NS_S" addr add fd00:99::2/64 dev "$IF_S" nodad
  ip -n "$NS_C" link set "$IF_C" up
  ip -n "$NS_S" link set "$IF_S" up
  # static neighbours: no ARP/ND in the way, and the loss trick is one command
  ip -n "$NS_C" neigh replace 10.99.0.2 lladdr "$MAC_S" dev "$IF_C" nud permanent
  ip -n "$NS_C" neigh replace fd00:99::2 lladdr "$MAC_S" dev "$IF_C" nud permanent
  ip -n "$NS_S" neigh replace 10.99.0.1 lladdr "$MAC_C" dev "$IF_S" nud permanent
  ip -n "$NS_S" neigh replace fd00:99::1 lladdr "$MAC_C" dev "$IF_S" nud permanent
}

# --- one scenario -------------------------------------------------------------
wait_for() { # FILE PID TIMEOUT_S WHAT
  local file=$1 pid=$2 deadline=$((SECONDS + $3)) what=$4
  while [[ ! -s $file ]] || { [[ $what == tcpdump ]] && ! grep -q 'listening on' "$file"; }; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

record_once() { # NAME
  local name=$1 pcap="$HERE/$1.pcap" iface=$IF_C filter=tcp
  local done="$WORK/$name.done" tderr="$WORK/$name.tcpdump.err" pyout="$WORK/$name.py.log"
  rm -f "$done" "$tderr" "$pyout"
  ns_up
  if [[ $name == any-sll2-normal-close ]]; then
    iface=any
    filter='tcp port 9520'
  fi
  ip netns exec "$NS_C" tcpdump -i "$iface" -w "$pcap" -U -s 0 --immediate-mode -Z root $filter 2>"$tderr" &
  local tcpdump_pid=$!
  PIDS+=("$tcpdump_pid")
  wait_for "$tderr" "$tcpdump_pid" 10 tcpdump || { cat "$tderr" >&2; die "tcpdump did not start"; }

  SYNFIN_DONE="$done" $PY "$HERE/scenarios/scenarios.py" "$name" >"$pyout" 2>&1 &
  local py_pid=$!
  PIDS+=("$py_pid")
  if ! wait_for "$done" "$py_pid" 60 scenario; then
    cat "$pyout" >&2
    die "scenario $name failed"
  fi
  sleep 0.3

  # ground truth, while the scenario still holds its sockets
  {
    echo "# client (10.99.0.1)"
    ip netns exec "$NS_C" ss -tanoi
    echo "# server (10.99.0.2)"
    ip netns exec "$NS_S" ss -tanoi
  } >"$HERE/$name.ss.txt"

  kill -INT "$tcpdump_pid"
  for _ in {1..50}; do
    kill -0 "$tcpdump_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$tcpdump_pid" 2>/dev/null && log "tcpdump ignored SIGINT; killed"
  wait "$tcpdump_pid" || true
  kill_pids
  # read back inside the client namespace: for the LINUX_SLL2 capture tcpdump
  # names the interface by looking its index up on the reading host, and
  # there index 2 is veth-c
  ip netns exec "$NS_C" tcpdump -nr "$pcap" 2>/dev/null >"$HERE/$name.tcpdump.txt"
  ns_down
  chmod 644 "$pcap" "$HERE/$name.ss.txt" "$HERE/$name.tcpdump.txt"
  [[ -s $pyout ]] && sed "s/^/[$name] /" "$pyout" >&2
  return 0
}

record() { # NAME
  local name=$1 try
  for ((try = 1; try <= ATTEMPTS; try++)); do
    log "$name (attempt $try)"
    record_once "$name"
    if $PY "$HERE/scenarios/check.py" "$name" "$HERE/$name.tcpdump.txt" "$HERE/$name.ss.txt"; then
      return 0
    fi
  done
  die "$name: capture does not show what its name says after $ATTEMPTS attempts"
}

if (($#)); then
  for n in "$@"; do
    [[ " ${SCENARIOS[*]} " == *" $n "* ]] || die "unknown scenario: $n (known: ${SCENARIOS[*]})"
  done
  todo=("$@")
else
  todo=("${SCENARIOS[@]}")
fi

start=$SECONDS
for n in "${todo[@]}"; do
  record "$n"
done
log "done: ${#todo[@]} scenario(s) in $((SECONDS - start)) s"

# Every container and link-type variant of a few representative captures, for
# the readers' equivalence test (test/e2e/variants.test.ts); crafted captures
# and malformed files come from their own scripts. Kept to a few bases so the
# folder stays small.
VARIANT_BASES=(normal-close-client ipv6-normal-close any-sll2-normal-close lost-final-ack tuple-reuse)
rm -rf "$HERE/variants"
mkdir -p "$HERE/variants"
for n in "${VARIANT_BASES[@]}"; do
  $PY "$HERE/variants.py" "$HERE/$n.pcap" "$HERE/variants"
done
bash "$HERE/check-variants.sh" "$HERE/variants" "$HERE"
$PY "$HERE/craft.py" "$HERE"
$PY "$HERE/bad.py" "$HERE/bad"
du -sh "$HERE" >&2
