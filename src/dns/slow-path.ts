/**
 * The slow path's reader: every message the fast path did not take. It
 * decodes the whole message with dns-packet (every record, every name,
 * with its bounds and pointer checks) and decides, in this order:
 *
 *   shorter than a header, or QR=1 (a response)  → IGNORE (no reply)
 *   OPCODE other than QUERY                       → NOTIMP
 *   QDCOUNT ≠ 1, ANCOUNT ≠ 0 or NSCOUNT ≠ 0       → FORMERR
 *   question unreadable (see ScanError)           → FORMERR
 *   dns-packet cannot decode the rest, or a record runs past the end → FORMERR
 *   more than one OPT RR, or an OPT not owned by the root → FORMERR
 *   EDNS version above 0                          → BADVERS
 *   an EDNS Client Subnet option RFC 7871 rejects  → FORMERR (client-subnet.ts)
 *   QCLASS other than IN                          → REFUSED
 *   otherwise                                     → ANSWER (as the fast path would)
 *
 * Records in the additional section other than the OPT (a TSIG, say) are
 * decoded, then ignored. Bytes after the last record are ignored.
 */
import dnsPacket from 'dns-packet';
import {
  CLASS_IN,
  FlagsHigh,
  HEADER_LENGTH,
  ScanError,
  kAnCount,
  kArCount,
  kNsCount,
  QType,
  kQdCount,
  scanQuestion,
  u16,
  type QueryState,
} from './wire.js';
import { readClientSubnet } from './client-subnet.js';

export const Verdict = {
  ANSWER: 0,
  IGNORE: 1,
  FORMERR: 2,
  NOTIMP: 3,
  BADVERS: 4,
  REFUSED: 5,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Reads any message into `s`; says what to do with it. Throws nothing it does not catch. */
export function readSlow(s: QueryState, query: Uint8Array, len: number): Verdict {
  if (len < HEADER_LENGTH) return Verdict.IGNORE;
  const flags = query[2] as number;
  if ((flags & FlagsHigh.QR) !== 0) return Verdict.IGNORE;
  if ((flags & FlagsHigh.OPCODE) !== 0) return Verdict.NOTIMP;
  if (u16(query, kQdCount) !== 1 || u16(query, kAnCount) !== 0 || u16(query, kNsCount) !== 0) return Verdict.FORMERR;
  if (scanQuestion(s, query, len) !== ScanError.OK) return Verdict.FORMERR;

  let packet: dnsPacket.DecodedPacket;
  try {
    const buf = Buffer.isBuffer(query) ? query : Buffer.from(query.buffer, query.byteOffset, len);
    packet = dnsPacket.decode(buf);
    // dns-packet slices short RDATA without complaint; the offset says it overran.
    if (dnsPacket.decode.bytes > len) return Verdict.FORMERR;
  } catch {
    return Verdict.FORMERR;
  }

  let opt: dnsPacket.OptAnswer | null = null;
  for (const rr of packet.additionals ?? []) {
    if (rr.type !== 'OPT') continue;
    if (opt !== null || rr.name !== '.') return Verdict.FORMERR;
    opt = rr;
  }
  s.edns = opt !== null;
  s.clientSubnet.present = false;
  if (opt !== null) {
    s.ednsUdpSize = opt.udpPayloadSize;
    if (opt.ednsVersion !== 0) return Verdict.BADVERS;
    const rdata = optRdataOffset(query, len);
    if (rdata < 0) return Verdict.FORMERR;
    if (readClientSubnet(query, rdata + 2, u16(query, rdata), s.clientSubnet) < 0) return Verdict.FORMERR;
  }
  if (s.qclass !== CLASS_IN) return Verdict.REFUSED;
  return Verdict.ANSWER;
}

/**
 * Offset of the OPT RR's RDLENGTH in a message dns-packet decoded whole (so
 * every record is in bounds), or -1: steps over the question and each
 * record (names as labels or a pointer), as dns-packet gives no offsets.
 */
function optRdataOffset(msg: Uint8Array, len: number): number {
  let at = skipName(msg, HEADER_LENGTH, len) + 4;
  const records = u16(msg, kAnCount) + u16(msg, kNsCount) + u16(msg, kArCount);
  for (let r = 0; r < records && at >= 4 && at + 10 <= len; r++) {
    at = skipName(msg, at, len);
    if (at < 0 || at + 10 > len) return -1;
    const type = u16(msg, at);
    const rdlength = at + 8;
    if (type === QType.OPT) return rdlength;
    at = rdlength + 2 + u16(msg, rdlength);
  }
  return -1;
}

/** The offset past the name at `at` (labels ended by 0, or by a pointer), or -1. */
function skipName(msg: Uint8Array, at: number, len: number): number {
  while (at < len) {
    const b = msg[at] as number;
    if (b === 0) return at + 1;
    if ((b & 0xc0) === 0xc0) return at + 2;
    at += 1 + b;
  }
  return -1;
}
