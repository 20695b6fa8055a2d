/**
 * Types for pcap-parser 0.2.1 (CommonJS, ships no declarations). Only what
 * the reference reader (scripts/fuzz/reference.ts) and the bench use; shapes read from node_modules/pcap-parser/lib/pcap-parser.js.
 */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';

  /** The 24-byte libpcap file header, as pcap-parser reads it. */
  export interface PcapParserGlobalHeader {
    readonly magicNumber: number;
    readonly majorVersion: number;
    readonly minorVersion: number;
    readonly gmtOffset: number;
    readonly timestampAccuracy: number;
    readonly snapshotLength: number;
    /** The whole 32-bit field, FCS bits included (pcap-parser does not mask it). */
    readonly linkLayerType: number;
  }

  /** The 16-byte record header. */
  export interface PcapParserPacketHeader {
    readonly timestampSeconds: number;
    /** Microseconds, or nanoseconds in a nanosecond file (pcap-parser does not know the difference). */
    readonly timestampMicroseconds: number;
    readonly capturedLength: number;
    readonly originalLength: number;
  }

  /** One record: its header and a view of its captured bytes. */
  export interface PcapParserPacket {
    readonly header: PcapParserPacketHeader;
    readonly data: Buffer;
  }

  /**
   * The parser: an EventEmitter that subscribes to the input's `data`, `error`
   * and `end` events and emits `globalHeader`, `packetHeader`, `packetData`,
   * `packet`, `error` and `end`.
   */
  export interface PcapParser extends EventEmitter {
    on(event: 'globalHeader', listener: (header: PcapParserGlobalHeader) => void): this;
    on(event: 'packet', listener: (packet: PcapParserPacket) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  /**
   * What pcap-parser needs of its input: it calls `pause()`, subscribes to
   * `data`/`error`/`end`, then calls `resume()` on the next tick.
   */
  export interface PcapParserInput extends EventEmitter {
    pause(): unknown;
    resume(): unknown;
  }

  /** Starts parsing a path (opened with fs.createReadStream) or a stream. */
  export function parse(input: string | PcapParserInput): PcapParser;

  const pcapParser: { parse: typeof parse };
  export default pcapParser;
}
