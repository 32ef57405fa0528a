/**
 * Encoding replies. Every reply to a readable question starts as a copy of
 * the query's header and question (so the ID and the name's letter case are
 * echoed byte for byte), then gets its records, each owner a compression
 * pointer into that question, and the OPT RR last when the query had one.
 *
 * Both paths encode here, so a query answers with the same bytes whichever
 * path read it, and the truncation decision is the same too. (dns-packet's
 * encoder writes every name in full, never a pointer: its answers would be
 * bigger than ours and truncate at other sizes.)
 */
import { clientSubnetOptionLength, writeClientSubnet } from './client-subnet.js';
import { FlagsHigh, FlagsLow, HEADER_LENGTH, OPT_RR_LENGTH, QType, Rcode, type QueryState } from './wire.js';

/** How a reply is counted; one per reply (`ResponderCounters` has a field for each). */
export const Outcome = {
  /** NOERROR with answers (possibly truncated away). */
  NOERROR: 0,
  /** NOERROR, empty answer: another type, or a fail-closed set with nothing to give. */
  NODATA: 1,
  NXDOMAIN: 2,
  REFUSED: 3,
  FORMERR: 4,
  NOTIMP: 5,
  BADVERS: 6,
  /** No status table yet (a fresh `urnd dns` before its first frame). */
  SERVFAIL: 7,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * A 12-byte reply for a query whose question was not read (FORMERR, NOTIMP):
 * ID, opcode, RD and CD copied, every count zero. `query` holds at least 12 bytes.
 */
export function headerOnlyReply(query: Uint8Array, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  out[0] = query[0] as number;
  out[1] = query[1] as number;
  out[2] = FlagsHigh.QR | ((query[2] as number) & (FlagsHigh.OPCODE | FlagsHigh.RD));
  out[3] = ((query[3] as number) & FlagsLow.CD) | (rcode & FlagsLow.RCODE);
  return out;
}

/**
 * SERVFAIL: header, question (and OPT), no AA — what an authoritative server
 * answers for a zone it has not loaded yet, so resolvers ask another of the
 * zone's servers. Sent while a Responder holds for its first status table.
 */
export function serverFailure(s: QueryState, query: Uint8Array): Buffer {
  s.outcome = Outcome.SERVFAIL;
  return beginReply(s, query, Rcode.SERVFAIL, false, 0, 0, 0);
}

/**
 * Starts a reply to the question in `s`: header, question, and `body` bytes
 * of room for `an` answer, `ns` authority and `ar` additional records at
 * `s.end`, then OPT.
 * If it all would exceed `s.limit`, the reply is header + question (+ OPT)
 * with TC set and no records, and `s.truncated` is true: the caller then
 * writes nothing (the client retries over TCP). `rcode` may be extended
 * (BADVERS): its high bits go into the OPT RR.
 */
export function beginReply(
  s: QueryState,
  query: Uint8Array,
  rcode: number,
  aa: boolean,
  an: number,
  ns: number,
  body: number,
  ar = 0,
): Buffer {
  // The OPT RR, with the query's ECS option echoed (RFC 7871 §7.2.1) when it sent one.
  const ecs = s.edns ? clientSubnetOptionLength(s.clientSubnet) : 0;
  const opt = s.edns ? OPT_RR_LENGTH + ecs : 0;
  const qEnd = s.end;
  let size = qEnd + body + opt;
  let tc = 0;
  s.truncated = size > s.limit;
  if (s.truncated) {
    size = qEnd + opt;
    an = 0;
    ns = 0;
    ar = 0;
    tc = FlagsHigh.TC;
  }
  const out = Buffer.allocUnsafe(size);
  // Header and question, byte for byte (a loop: ~30 bytes, no view object).
  for (let i = 0; i < qEnd; i++) out[i] = query[i] as number;
  out[2] = FlagsHigh.QR | ((query[2] as number) & (FlagsHigh.OPCODE | FlagsHigh.RD)) | (aa ? FlagsHigh.AA : 0) | tc;
  out[3] = ((query[3] as number) & FlagsLow.CD) | (rcode & FlagsLow.RCODE);
  out[4] = 0;
  out[5] = 1;
  out[6] = an >>> 8;
  out[7] = an;
  out[8] = ns >>> 8;
  out[9] = ns;
  const arcount = ar + (opt === 0 ? 0 : 1);
  out[10] = arcount >>> 8;
  out[11] = arcount;
  if (opt !== 0) {
    writeOpt(out, size - opt, s.replyUdpSize, rcode >>> 4, ecs);
    writeClientSubnet(out, size - ecs, s.clientSubnet, s.client === null ? 0 : s.client.scope);
  }
  return out;
}

/** Our OPT RR: root owner, our UDP payload size, extended rcode, version 0, no flags; `rdlength` bytes of options follow. */
function writeOpt(out: Buffer, o: number, udpSize: number, extendedRcode: number, rdlength: number): void {
  out[o] = 0;
  out[o + 1] = 0;
  out[o + 2] = QType.OPT;
  out[o + 3] = udpSize >>> 8;
  out[o + 4] = udpSize;
  out[o + 5] = extendedRcode;
  out[o + 6] = 0; // version
  out[o + 7] = 0; // flags (DO clear: we sign nothing)
  out[o + 8] = 0;
  out[o + 9] = rdlength >>> 8; // RDLENGTH
  out[o + 10] = rdlength;
}

/**
 * Writes a record's fixed part at `o` (RR_FIXED_LENGTH bytes), owner a
 * compression pointer, class IN; returns the offset of its RDATA.
 */
export function writeRecordHeader(
  out: Buffer,
  o: number,
  pointer: number,
  type: number,
  ttl: number,
  rdlength: number,
): number {
  out[o] = pointer >>> 8;
  out[o + 1] = pointer;
  return writeTypeClassTtlLength(out, o + 2, type, ttl, rdlength);
}

/**
 * Writes what lies between a record's owner and its RDATA at `o`: TYPE,
 * CLASS IN, TTL, RDLENGTH (RFC 1035 §4.1.3, 10 bytes); returns the offset
 * of the RDATA.
 */
export function writeTypeClassTtlLength(out: Buffer, o: number, type: number, ttl: number, rdlength: number): number {
  out[o] = type >>> 8;
  out[o + 1] = type;
  out[o + 2] = 0;
  out[o + 3] = 1; // CLASS IN
  out[o + 4] = ttl >>> 24;
  out[o + 5] = ttl >>> 16;
  out[o + 6] = ttl >>> 8;
  out[o + 7] = ttl;
  out[o + 8] = rdlength >>> 8;
  out[o + 9] = rdlength;
  return o + 10;
}

/** Copies `src` into `out` at `o`; returns the offset after it. */
export function writeBytes(out: Buffer, o: number, src: Uint8Array): number {
  out.set(src, o);
  return o + src.length;
}
