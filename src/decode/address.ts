/**
 * Addresses and endpoints as text, the one way every report and message
 * writes them: IPv6 in brackets before a port (RFC 3986), as ss, tcpdump
 * -n's successors and URLs do, so a line can be pasted into any of them.
 * The decoders make the addresses themselves (ipv4.ts, ipv6.ts).
 */

/** `addr:port`, with IPv6 addresses in brackets: `10.0.0.1:443`, `[2001:db8::1]:443`. */
export function hostPort(addr: string, port: number): string {
  return `${bracketed(addr)}:${port}`;
}

/** An address as it stands where a port may follow: IPv6 in brackets. */
export function bracketed(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

/** An address as a user typed it, as synfin prints it: IPv6 compressed and lower-case, brackets dropped. */
export function canonicalAddr(addr: string): string {
  const a = addr.trim().replace(/^\[(.*)\]$/, '$1');
  if (!a.includes(':')) return a;
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a.toLowerCase();
  }
}
