#!/usr/bin/env bash
# Re-records the ICMP captures in captures/icmp/: real kernel sockets whose
# connections meet an ICMP or ICMPv6 error, over IPv4 and IPv6.
#
#   sudo captures/record-icmp.sh            # every scenario, both IP versions
#   sudo captures/record-icmp.sh NAME...    # only these (e.g. port-unreachable-ipv6)
#
# For each scenario it builds three fresh network namespaces, client, router
# and server, joined by two veth pairs, the router forwarding between them:
#
#   client veth-c 10.98.1.1 ── veth-rc 10.98.1.254  router  veth-rs 10.98.2.254 ── veth-s 10.98.2.1 server
#          fd00:98:1::1            fd00:98:1::fe             fd00:98:2::fe             fd00:98:2::1
#
# nftables rules at the server or the router, a route or an MTU make the ICMP
# error; tcpdump records at the client's veth (or, for the path MTU cases,
# at the server's, where the router's ICMP goes); captures/scenarios/icmp.py
# is the client and the server application. Then it saves, beside NAME.pcap:
#
#   NAME.tcpdump.txt   `tcpdump -nr NAME.pcap` (LC_ALL=C TZ=UTC)
#   NAME.errno.txt     what each application saw: connect()'s errno, or the
#                      bytes read and how the reading ended; what send() did
#   NAME.ss.txt        `ss -tanoi` in the client and server namespaces at the
#                      end, while the applications still held their sockets
#
# The client runs on CPU 1 and everything else is steered to CPU 0 (taskset,
# and RPS on every veth), so the ICMP is handled while connect() sleeps, not
# while it holds the socket: Linux keeps an ICMP that finds the socket owned
# by the user only as a soft error (LockDroppedIcmps) and resends the SYN.
# port-unreachable-locked records exactly that case: no steering, everything
# on CPU 0, so the server's ICMP comes back within connect()'s own send of
# the SYN (as between two containers on one host): SYN, ICMP, SYN a second
# later, ICMP, and only then ECONNREFUSED.
# A capture that does not show what its name says is recorded again (up to
# 4 times). No traffic leaves the three namespaces.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/icmp"
PY=/usr/bin/python3
APP="$HERE/scenarios/icmp.py"
NS_C=synfin-ic
NS_R=synfin-ir
NS_S=synfin-is
ATTEMPTS=4
export LC_ALL=C TZ=UTC

# name              target  port capture-side server-bytes (0: the server only listens)
SCENARIOS=(
  "port-unreachable   server 9701 client 0"
  "admin-prohibited   server 9702 client 0"
  "host-unreachable   absent 9703 client 0"
  "net-unreachable    nonet  9704 client 0"
  "packet-too-big     server 9705 server 32768"
  "pmtu-black-hole    server 9706 server 32768"
  "time-exceeded      server 9707 client 0"
  "port-unreachable-locked server 9708 client 0"
)

log() { printf '[record-icmp] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tcpdump, nft)"
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs: the client and the rest run on different ones"

need_pkgs=()
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v ip >/dev/null && command -v ss >/dev/null || need_pkgs+=(iproute2)
command -v nft >/dev/null || need_pkgs+=(nftables)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
command -v taskset >/dev/null || need_pkgs+=(util-linux)
[[ -x $PY ]] || need_pkgs+=(python3)
if ((${#need_pkgs[@]})); then
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${need_pkgs[@]}"
fi

WORK="$(mktemp -d /tmp/synfin-record-icmp.XXXXXX)"
PIDS=()

kill_pids() {
  local p
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}

ns_down() {
  local ns
  for ns in "$NS_C" "$NS_R" "$NS_S"; do ip netns del "$ns" 2>/dev/null || true; done
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

# veth NS IF: offloads off (one segment per frame, real checksums), RPS to CPU 0.
veth_setup() {
  ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$1" sh -c "echo $STEER > /sys/class/net/$2/queues/rx-0/rps_cpus"
}

ns_up() { # SCENARIO
  local name=$1 ns
  # RPS to CPU 0, away from the client's CPU; none (the sender's own CPU) for the locked case.
  STEER=1
  [[ $name == port-unreachable-locked* ]] && STEER=0
  ns_down
  for ns in "$NS_C" "$NS_R" "$NS_S"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw \
      net.ipv4.tcp_syn_retries=2 \
      net.ipv4.tcp_no_metrics_save=1 \
      net.ipv4.tcp_timestamps=1 \
      net.ipv4.tcp_sack=1 \
      net.ipv4.tcp_mtu_probing=0 \
      net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.router_solicitations=0 \
      net.ipv6.conf.all.disable_ipv6=0
    if ip netns exec "$ns" test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts; then
      ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
    fi
  done
  ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  ip -n "$NS_C" link add veth-c address 02:00:00:00:01:01 type veth peer name veth-rc address 02:00:00:00:01:fe netns "$NS_R"
  ip -n "$NS_S" link add veth-s address 02:00:00:00:02:01 type veth peer name veth-rs address 02:00:00:00:02:fe netns "$NS_R"
  veth_setup "$NS_C" veth-c
  veth_setup "$NS_R" veth-rc
  veth_setup "$NS_R" veth-rs
  veth_setup "$NS_S" veth-s
  ip -n "$NS_C" addr add 10.98.1.1/24 dev veth-c
  ip -n "$NS_C" addr add fd00:98:1::1/64 dev veth-c nodad
  ip -n "$NS_R" addr add 10.98.1.254/24 dev veth-rc
  ip -n "$NS_R" addr add fd00:98:1::fe/64 dev veth-rc nodad
  ip -n "$NS_R" addr add 10.98.2.254/24 dev veth-rs
  ip -n "$NS_R" addr add fd00:98:2::fe/64 dev veth-rs nodad
  ip -n "$NS_S" addr add 10.98.2.1/24 dev veth-s
  ip -n "$NS_S" addr add fd00:98:2::1/64 dev veth-s nodad
  if [[ $name == packet-too-big* || $name == pmtu-black-hole* ]]; then
    # The router's link toward the client is smaller than the path's other
    # links; the client's end stays at 1500, so the client still announces a
    # 1500-byte path's MSS and the server sends full-size segments.
    ip -n "$NS_R" link set veth-rc mtu 1280
  fi
  for ns_if in "$NS_C veth-c" "$NS_R veth-rc" "$NS_R veth-rs" "$NS_S veth-s"; do
    read -r ns ifname <<<"$ns_if"
    ip -n "$ns" link set "$ifname" up
  done
  ip -n "$NS_C" route add default via 10.98.1.254
  ip -n "$NS_C" -6 route add default via fd00:98:1::fe
  ip -n "$NS_S" route add default via 10.98.2.254
  ip -n "$NS_S" -6 route add default via fd00:98:2::fe
  # Static neighbours: no ARP or ND in the captures. 10.98.2.77 and
  # fd00:98:2::77 have none, and nobody answers the router's ARP / ND for them.
  ip -n "$NS_C" neigh replace 10.98.1.254 lladdr 02:00:00:00:01:fe dev veth-c nud permanent
  ip -n "$NS_C" neigh replace fd00:98:1::fe lladdr 02:00:00:00:01:fe dev veth-c nud permanent
  ip -n "$NS_R" neigh replace 10.98.1.1 lladdr 02:00:00:00:01:01 dev veth-rc nud permanent
  ip -n "$NS_R" neigh replace fd00:98:1::1 lladdr 02:00:00:00:01:01 dev veth-rc nud permanent
  ip -n "$NS_R" neigh replace 10.98.2.1 lladdr 02:00:00:00:02:01 dev veth-rs nud permanent
  ip -n "$NS_R" neigh replace fd00:98:2::1 lladdr 02:00:00:00:02:01 dev veth-rs nud permanent
  ip -n "$NS_S" neigh replace 10.98.2.254 lladdr 02:00:00:00:02:fe dev veth-s nud permanent
  ip -n "$NS_S" neigh replace fd00:98:2::fe lladdr 02:00:00:00:02:fe dev veth-s nud permanent

  case $name in
    port-unreachable-ipv4) nft_in "$NS_S" input 'tcp dport 9701 reject with icmp type port-unreachable' ;;
    port-unreachable-ipv6) nft_in "$NS_S" input 'tcp dport 9701 reject with icmpv6 type port-unreachable' ;;
    port-unreachable-locked-ipv4) nft_in "$NS_S" input 'tcp dport 9708 reject with icmp type port-unreachable' ;;
    port-unreachable-locked-ipv6) nft_in "$NS_S" input 'tcp dport 9708 reject with icmpv6 type port-unreachable' ;;
    admin-prohibited-ipv4) nft_in "$NS_R" forward 'tcp dport 9702 reject with icmp type admin-prohibited' ;;
    admin-prohibited-ipv6) nft_in "$NS_R" forward 'tcp dport 9702 reject with icmpv6 type admin-prohibited' ;;
    # The router's own ICMP dropped on its way out: the path MTU black hole.
    pmtu-black-hole-ipv4) nft_in "$NS_R" output 'icmp type destination-unreachable icmp code frag-needed drop' ;;
    pmtu-black-hole-ipv6) nft_in "$NS_R" output 'icmpv6 type packet-too-big drop' ;;
  esac
}

nft_in() { # NS HOOK RULE
  ip netns exec "$1" nft -f - <<EOF
table inet synfin {
  chain $2 {
    type filter hook $2 priority 0; policy accept;
    $3
  }
}
EOF
}

wait_for() { # FILE PID TIMEOUT_S [PATTERN]
  local file=$1 pid=$2 deadline=$((SECONDS + $3)) pattern=${4:-}
  while [[ ! -s $file ]] || { [[ -n $pattern ]] && ! grep -q "$pattern" "$file"; }; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

record() { # NAME (with -ipv4 / -ipv6)
  local name=$1 base=${1%-ipv*} fam=${1##*-ipv} row target port side bytes addr
  row=$(printf '%s\n' "${SCENARIOS[@]}" | awk -v n="$base" '$1 == n')
  [[ -n $row ]] || die "no scenario $base"
  read -r _ target port side bytes <<<"$row"
  case $target/$fam in
    server/4) addr=10.98.2.1 ;;
    server/6) addr=fd00:98:2::1 ;;
    absent/4) addr=10.98.2.77 ;;
    absent/6) addr=fd00:98:2::77 ;;
    nonet/4) addr=10.98.9.1 ;;
    nonet/6) addr=fd00:98:9::1 ;;
  esac
  local client_opts=() server_opts=()
  [[ $base == time-exceeded ]] && client_opts+=(--ttl 1)
  if [[ $base == pmtu-black-hole ]]; then
    # The server gives up after 6 s of unacknowledged data; the client after 10 s without a byte.
    server_opts+=(--user-timeout-ms 6000)
    client_opts+=(--recv-timeout 10)
  fi
  local w="$WORK/$name"
  mkdir -p "$w"
  ns_up "$name"

  local ns_cap=$NS_C if_cap=veth-c
  [[ $side == server ]] && { ns_cap=$NS_S; if_cap=veth-s; }
  ip netns exec "$ns_cap" tcpdump -i "$if_cap" -w "$w/cap.pcap" -U -s 0 --immediate-mode \
    'tcp or icmp or icmp6' 2>"$w/tcpdump.err" &
  PIDS+=($!)
  wait_for "$w/tcpdump.err" $! 10 'listening on' || die "$name: tcpdump did not start"

  ip netns exec "$NS_S" taskset -c 0 "$PY" "$APP" server "$fam" "$port" "$bytes" "$w/server.out" "${server_opts[@]}" &
  local server=$!
  PIDS+=($server)
  sleep 0.3
  local client_cpu=1
  [[ $base == port-unreachable-locked ]] && client_cpu=0
  ip netns exec "$NS_C" taskset -c "$client_cpu" "$PY" "$APP" client "$fam" "$addr" "$port" "$w/client.out" "${client_opts[@]}" &
  local client=$!
  PIDS+=($client)
  wait_for "$w/client.out" $client 40 || die "$name: the client did not finish"
  if [[ $bytes != 0 ]]; then wait_for "$w/server.out" $server 20 || die "$name: the server did not finish"; fi
  # Let the last delayed ACK (40 ms) land first, so ss sees the sockets as the capture ends.
  sleep 0.3
  {
    echo "# client (10.98.1.1 / fd00:98:1::1, CPU 1)"
    ip netns exec "$NS_C" ss -tanoi
    echo "# server (10.98.2.1 / fd00:98:2::1, CPU 0)"
    ip netns exec "$NS_S" ss -tanoi
  } >"$w/ss.txt"
  {
    echo "# client: connect() to [$addr]:$port"
    cat "$w/client.out"
    echo "# server: [$( [[ $fam == 4 ]] && echo 10.98.2.1 || echo fd00:98:2::1 )]:$port"
    if [[ -s $w/server.out ]]; then cat "$w/server.out"; else echo "accepted no connection"; fi
  } >"$w/errno.txt"
  sleep 0.2
  kill_pids
  tcpdump -nr "$w/cap.pcap" >"$w/tcpdump.txt" 2>/dev/null
}

# What each capture must show, from its tcpdump text and the client's errno.
check() { # NAME DIR
  local name=$1 w=$2 base=${1%-ipv*} t="$2/tcpdump.txt" e="$2/errno.txt"
  local icmps syns
  # Errors only: an ICMPv6 router solicitation or MLD report is no error about the connection.
  icmps=$(grep -E 'ICMP' "$t" | grep -Evc 'solicitation|advertisement|multicast listener' || true)
  syns=$(grep -c 'Flags \[S\]' "$t" || true)
  case $base in
    port-unreachable) [[ $icmps == 1 && $syns == 1 ]] && grep -q 'connect: ECONNREFUSED' "$e" ;;
    port-unreachable-locked) [[ $icmps == 2 && $syns == 2 ]] && grep -q 'connect: ECONNREFUSED after 1\.' "$e" ;;
    admin-prohibited) [[ $icmps == 1 && $syns == 1 ]] && grep -Eq 'connect: (EHOSTUNREACH|EACCES)' "$e" ;;
    net-unreachable) [[ $icmps == 1 && $syns == 1 ]] && grep -q 'connect: ENETUNREACH' "$e" ;;
    time-exceeded) [[ $icmps == 1 && $syns == 1 ]] && grep -q 'connect: EHOSTUNREACH' "$e" ;;
    host-unreachable) ((icmps >= 1)) && grep -q 'connect: EHOSTUNREACH' "$e" ;;
    packet-too-big) ((icmps >= 1)) && grep -q 'read 32768 bytes: EOF' "$e" && grep -q 'sent 32768 bytes, all acknowledged' "$e" ;;
    pmtu-black-hole) [[ $icmps == 0 ]] && grep -q 'send: ETIMEDOUT' "$e" && grep -q 'timeout after' "$e" ;;
  esac
}

names=("$@")
if ((${#names[@]} == 0)); then
  for row in "${SCENARIOS[@]}"; do
    read -r base _ <<<"$row"
    names+=("$base-ipv4" "$base-ipv6")
  done
fi

mkdir -p "$OUT"
for name in "${names[@]}"; do
  for ((attempt = 1; ; attempt++)); do
    log "$name (attempt $attempt)"
    record "$name"
    if check "$name" "$WORK/$name"; then break; fi
    log "$name: not what its name says:"
    cat "$WORK/$name/tcpdump.txt" "$WORK/$name/errno.txt" >&2
    ((attempt < ATTEMPTS)) || die "$name: gave up after $ATTEMPTS attempts"
    rm -rf "${WORK:?}/$name"
  done
  cp "$WORK/$name/cap.pcap" "$OUT/$name.pcap"
  cp "$WORK/$name/tcpdump.txt" "$OUT/$name.tcpdump.txt"
  cp "$WORK/$name/errno.txt" "$OUT/$name.errno.txt"
  cp "$WORK/$name/ss.txt" "$OUT/$name.ss.txt"
  log "$name: $(wc -l <"$OUT/$name.tcpdump.txt") frames; $(sed -n 2p "$OUT/$name.errno.txt")"
done
ns_down
