#!/usr/bin/env bash
# Cross-checks synfin's per-flow frame and byte counts against tshark's
# TCP streams (tcp.stream) on every committed capture, tunnelled, malformed and ICMP ones included.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v tshark >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsx captures/crosscheck-tshark.ts captures/*.pcap captures/encap/*.pcap captures/malformed/*.pcap captures/icmp/*.pcap
