/**
 * DNS wire format (RFC 1035 §4.1): the header's named offsets and bits, the
 * codes urnd answers with, and the one question scanner both paths use.
 *
 * Header, 12 bytes, big-endian:
 *
 *   byte  0-1   ID
 *   byte  2     QR(0x80) OPCODE(0x78) AA(0x04) TC(0x02) RD(0x01)
 *   byte  3     RA(0x80) Z(0x40) AD(0x20) CD(0x10) RCODE(0x0f)
 *   byte  4-5   QDCOUNT   6-7 ANCOUNT   8-9 NSCOUNT   10-11 ARCOUNT
 *
 * Question: QNAME (labels, each a length byte 1..63 and its bytes, ended by
 * a zero byte; at most 255 bytes in all), QTYPE (2), QCLASS (2).
 */
import { RESOLVE_BUFFER_LENGTH } from '../resolve/resolver.js';
import { ClientSubnetState } from './client-subnet.js';
import type { ClientAddress } from '../resolve/client-address.js';

export const HEADER_LENGTH = 12;

// Header byte offsets.
export const kFlagsHigh = 2;
export const kFlagsLow = 3;
export const kQdCount = 4;
export const kAnCount = 6;
export const kNsCount = 8;
export const kArCount = 10;

/** Bits of header byte 2. */
export const FlagsHigh = { QR: 0x80, OPCODE: 0x78, AA: 0x04, TC: 0x02, RD: 0x01 } as const;
/** Bits of header byte 3. */
export const FlagsLow = { RA: 0x80, Z: 0x40, AD: 0x20, CD: 0x10, RCODE: 0x0f } as const;

/** Response codes urnd sends. BADVERS (16) is an extended code: its high bits travel in the OPT RR. */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;
export type Rcode = (typeof Rcode)[keyof typeof Rcode];

/** QTYPE / TYPE values urnd treats specially; every other type is NODATA at an existing name. */
export const QType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  AAAA: 28,
  OPT: 41,
  DS: 43,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const CLASS_IN = 1;

/** Largest wire name (RFC 1035 §2.3.4), counting every length byte and the root. */
export const MAX_NAME_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;
/** UDP responses to clients without EDNS, and the floor of any EDNS size (RFC 6891 §6.2.5). */
export const MIN_UDP_SIZE = 512;
/** Largest DNS message (TCP's 2-byte length prefix). */
export const MAX_MESSAGE_SIZE = 65535;
/** Our OPT RR: root owner (1), TYPE (2), CLASS = UDP size (2), TTL = ext rcode, version, flags (4), RDLENGTH 0 (2). */
export const OPT_RR_LENGTH = 11;
/** An answer RR whose owner is a compression pointer: pointer (2), TYPE, CLASS (4), TTL (4), RDLENGTH (2). */
export const RR_FIXED_LENGTH = 12;
/** Compression pointer to the question name, which always starts right after the header. */
export const QNAME_POINTER = 0xc000 | HEADER_LENGTH;

/** Why `scanQuestion` gave up (all are FORMERR). */
export const ScanError = {
  OK: 0,
  /** The message ends inside the name, or before QTYPE/QCLASS. */
  TRUNCATED: -1,
  /**
   * A compression pointer. In a message whose only name is the question, a
   * pointer can only aim at the header or back into the name being read (a
   * loop), so none is valid; rejecting them all also rules out loops and
   * pointers past the end.
   */
  POINTER: -2,
  /** Label type 0x40 or 0x80 (extended / reserved, RFC 6891 §5). */
  BAD_LABEL: -3,
  /** Longer than 255 bytes. */
  TOO_LONG: -4,
} as const;
export type ScanError = (typeof ScanError)[keyof typeof ScanError];

/** FNV-1a, 32 bits: the hash of a key's bytes (name-table.ts hashes plan names the same way). */
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** Longest question name in labels: 127 one-byte labels and the root fill 255 bytes. */
const MAX_LABELS = 128;
/** Key bytes: every name byte escaped as \DDD at worst, plus the dots. */
const KEY_SCRATCH_LENGTH = MAX_NAME_LENGTH * 4;

/**
 * What one query says, read into fields reused for every query (a
 * Responder owns one): reading a query allocates nothing.
 */
export class QueryState {
  /**
   * The question name as the plan spells names — lower case, no trailing
   * dot, odd bytes escaped `\DDD` — as bytes in `keyBytes[0, keyLength)`
   * with their FNV-1a hash (see name-table.ts, which turns them into the
   * plan's string for the name).
   */
  keyLength = 0;
  keyHash = 0;
  /** Offset just past QCLASS: header + question, the bytes a reply copies. */
  end = 0;
  qtype = 0;
  qclass = 0;
  /** Number of labels in the question name, and where each starts (its length byte). */
  labels = 0;
  readonly labelStart = new Uint16Array(MAX_LABELS);

  /** The query carried an OPT RR (EDNS0), and the UDP payload size it advertised. */
  edns = false;
  ednsUdpSize = 0;
  /** The query's EDNS Client Subnet option (RFC 7871), if it carried a valid one (`clientSubnet.present`). */
  readonly clientSubnet = new ClientSubnetState();
  /** The resolver's client, whose `scope` (the longest an IP-based set used) the reply's ECS option carries. */
  client: ClientAddress | null = null;
  /** Largest reply allowed for this query and transport. */
  limit = MIN_UDP_SIZE;
  /** UDP payload size our OPT RR advertises. */
  replyUdpSize = MIN_UDP_SIZE;

  // What the reply became, for the counters.
  /** An `Outcome` (see reply.ts). */
  outcome = 0;
  /** The reply did not fit `limit`: TC set, records left out. */
  truncated = false;

  /** Answer indices from `Resolver.resolveInto`. */
  readonly indices = new Int32Array(RESOLVE_BUFFER_LENGTH);
  /** Glue answer indices (a referral's additional section). */
  readonly glue = new Int32Array(RESOLVE_BUFFER_LENGTH);
  readonly keyBytes = Buffer.alloc(KEY_SCRATCH_LENGTH);

  // A reply's records, composed here before the reply is sized (compose.ts):
  // CNAME chains, referrals and RDATA of every type. Reused for every query.
  readonly body = Buffer.alloc(MAX_MESSAGE_SIZE);
  bodyLength = 0;
  /** The records did not fit `body`: the reply is sent truncated. */
  bodyOverflow = false;
  an = 0;
  ns = 0;
  ar = 0;
}

/**
 * Reads the question starting at byte 12 of `msg` (QDCOUNT is not checked
 * here) into `s`: key bytes and hash, end, qtype, qclass, label offsets.
 * Labels only, no compression (see ScanError.POINTER). Returns
 * ScanError.OK or why not. Allocates nothing.
 *
 * Hot path: one pass over the name bytes, lower-casing A-Z into a scratch
 * buffer and hashing as it goes. Bytes that a plan name can never hold
 * ('.', '\\', controls, non-ASCII) are written `\DDD`, so a '.' in the key
 * always separates labels and a suffix test on the key (zoneOf) is a test
 * on whole labels.
 */
export function scanQuestion(s: QueryState, msg: Uint8Array, len: number): ScanError {
  const key = s.keyBytes;
  const starts = s.labelStart;
  let p = HEADER_LENGTH;
  let n = 0;
  let h = FNV_OFFSET;
  let labels = 0;
  for (;;) {
    if (p >= len) return ScanError.TRUNCATED;
    const l = msg[p] as number;
    if (l === 0) break;
    if (l > MAX_LABEL_LENGTH) return (l & 0xc0) === 0xc0 ? ScanError.POINTER : ScanError.BAD_LABEL;
    // Bytes so far, this label, and the root byte still to come.
    if (p - HEADER_LENGTH + 1 + l + 1 > MAX_NAME_LENGTH) return ScanError.TOO_LONG;
    const labelEnd = p + 1 + l;
    if (labelEnd > len) return ScanError.TRUNCATED;
    starts[labels++] = p;
    if (n > 0) {
      key[n++] = 0x2e;
      h = Math.imul(h ^ 0x2e, FNV_PRIME);
    }
    for (let i = p + 1; i < labelEnd; i++) {
      let c = msg[i] as number;
      if (c >= 0x41 && c <= 0x5a) {
        c |= 0x20;
      } else if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) {
        // `\DDD`: a key no plan name equals. The hash covers every byte written.
        const d0 = 0x30 + ((c / 100) | 0);
        const d1 = 0x30 + (((c / 10) | 0) % 10);
        key[n++] = 0x5c;
        key[n++] = d0;
        key[n++] = d1;
        h = Math.imul(Math.imul(Math.imul(h ^ 0x5c, FNV_PRIME) ^ d0, FNV_PRIME) ^ d1, FNV_PRIME);
        c = 0x30 + (c % 10);
      }
      key[n++] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    p = labelEnd;
  }
  if (p + 5 > len) return ScanError.TRUNCATED;
  s.labels = labels;
  s.keyLength = n;
  s.keyHash = h;
  s.qtype = ((msg[p + 1] as number) << 8) | (msg[p + 2] as number);
  s.qclass = ((msg[p + 3] as number) << 8) | (msg[p + 4] as number);
  s.end = p + 5;
  return ScanError.OK;
}

/** Big-endian 16-bit read; the caller has checked the bounds. */
export function u16(msg: Uint8Array, at: number): number {
  return ((msg[at] as number) << 8) | (msg[at + 1] as number);
}
