/**
 * The TCP ports in Zeek's `likely_server_ports` after a default `zeek -r`
 * run (no `-b`): `scripts/base/init-default.zeek` loads every
 * `scripts/base/protocols/<p>/main.zeek`, and each of those calls
 * `Analyzer::register_for_ports(ANALYZER, ports)` in `zeek_init`, which adds
 * the ports to `likely_server_ports` (`scripts/base/frameworks/analyzer/
 * main.zeek`, `register_for_ports`). The set starts empty
 * (`scripts/base/init-bare.zeek`). Ports that Spicy `.evt` files declare go
 * through `register_for_port` (singular) and are not added.
 *
 * Zeek consults the set once, when a connection is created from a packet
 * that is not a plain SYN (`TCPAnalyzer::WantConnection`, TCP.cc): if the
 * packet's source port is in it, Zeek flips the connection (docs/zeek.md).
 *
 * Each entry names the script whose port set holds it. The list is the one
 * `../shared/zeek-tcp-semantics.md` §2.1 gives for Zeek 8.x; a redef of a
 * module's port set (for example `redef Redis::ports += { 6380/tcp };`)
 * changes it, and `--zeek-ports` replaces it.
 */
export const ZEEK_DEFAULT_PORT_SOURCES: readonly (readonly [port: number, script: string])[] = [
  [21, 'base/protocols/ftp/main.zeek (FTP::ports)'],
  [22, 'base/protocols/ssh/main.zeek (SSH::ports)'],
  [25, 'base/protocols/smtp/main.zeek (SMTP::ports)'],
  [53, 'base/protocols/dns/main.zeek (DNS::ports, 53/tcp)'],
  [79, 'base/protocols/finger/main.zeek (Finger::ports)'],
  [80, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [81, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [88, 'base/protocols/krb/main.zeek (KRB::tcp_ports)'],
  [135, 'base/protocols/dce-rpc/main.zeek (DCE_RPC::ports)'],
  [139, 'base/protocols/smb/main.zeek (SMB::ports)'],
  [143, 'base/protocols/imap/main.zeek (IMAP::ports)'],
  [389, 'base/protocols/ldap/main.zeek (LDAP::ports_tcp)'],
  [443, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [445, 'base/protocols/smb/main.zeek (SMB::ports)'],
  [465, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [502, 'base/protocols/modbus/main.zeek (Modbus::ports)'],
  [514, 'base/protocols/syslog/main.zeek (Syslog::ports, 514/tcp)'],
  [563, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [585, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [587, 'base/protocols/smtp/main.zeek (SMTP::ports)'],
  [614, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [631, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [636, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [989, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [990, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [992, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [993, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [995, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [1080, 'base/protocols/http/main.zeek (HTTP::ports) and base/protocols/socks/main.zeek (SOCKS::default_ports)'],
  [1434, 'listed by ../shared/zeek-tcp-semantics.md §2.1 (a base protocol script\'s port set)'],
  [1883, 'base/protocols/mqtt (MQTT::ports)'],
  [2811, 'base/protocols/ftp/main.zeek (FTP::ports, GridFTP)'],
  [3128, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [3268, 'base/protocols/ldap/main.zeek (LDAP::ports_tcp, global catalog)'],
  [3306, 'base/protocols/mysql/main.zeek (MySQL::ports)'],
  [3389, 'base/protocols/rdp/main.zeek (RDP::rdp_ports)'],
  [5222, 'base/protocols/xmpp/main.zeek (XMPP::ports)'],
  [5223, 'base/protocols/ssl/main.zeek (SSL::ports)'],
  [5269, 'base/protocols/xmpp/main.zeek (XMPP::ports)'],
  [5432, 'base/protocols/postgresql/main.zeek (PostgreSQL::ports)'],
  [6379, 'base/protocols/redis/main.zeek (Redis::ports)'],
  [6666, 'base/protocols/irc/main.zeek (IRC::ports)'],
  [6667, 'base/protocols/irc/main.zeek (IRC::ports)'],
  [6668, 'base/protocols/irc/main.zeek (IRC::ports)'],
  [6669, 'base/protocols/irc/main.zeek (IRC::ports)'],
  [8000, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [8080, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [8888, 'base/protocols/http/main.zeek (HTTP::ports)'],
  [20000, 'base/protocols/dnp3/main.zeek (DNP3::ports)'],
];

/** The TCP ports of {@link ZEEK_DEFAULT_PORT_SOURCES}: Zeek's default likely_server_ports. */
export const ZEEK_LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set(ZEEK_DEFAULT_PORT_SOURCES.map(([port]) => port));

/**
 * `scripts/base/protocols/conn/inactivity.zeek`, `port_inactivity_timeouts`:
 * interactive services get an hour of inactivity instead of
 * tcp_inactivity_timeout, set when the connection is established.
 */
export const ZEEK_PORT_INACTIVITY_TIMEOUTS: ReadonlyMap<number, number> = new Map([
  [21, 3600], [22, 3600], [23, 3600], [513, 3600],
]);
