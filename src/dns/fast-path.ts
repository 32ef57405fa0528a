/**
 * The fast path's reader: recognises the common query by its bytes alone,
 * without dns-packet, and fills the QueryState for `answerQuery`.
 *
 * The shape it takes, and nothing else:
 *
 *   header   QR=0, OPCODE=0 (any RD/CD/AD/Z bits), QDCOUNT=1, ANCOUNT=0,
 *            NSCOUNT=0, ARCOUNT 0 or 1
 *   question labels only (no pointers), ≤ 255 bytes, any QTYPE, QCLASS IN
 *   then     the end of the message (ARCOUNT 0), or exactly one OPT RR to
 *            the end (ARCOUNT 1): root owner, EDNS version 0, options that
 *            are well framed, an ECS option (if any) valid per RFC 7871
 *
 * Any other message goes to the slow path, which decodes it with dns-packet
 * and is strict about everything. A message this reader takes is one the
 * slow path would read the same way (test/dns-fast-path-matches-slow-path
 * checks it), so taking the fast path never changes an answer.
 *
 * It takes every QTYPE, not only A/AAAA, and names that do not exist: a
 * flood of random names or HTTPS queries then costs what a normal day
 * costs, instead of moving to the slower path under stress.
 */
import {
  CLASS_IN,
  HEADER_LENGTH,
  OPT_RR_LENGTH,
  QType,
  ScanError,
  scanQuestion,
  u16,
  type QueryState,
} from './wire.js';
import { readClientSubnet } from './client-subnet.js';

/** Smallest fast-path message: header, root name, QTYPE, QCLASS. */
const MIN_QUERY_LENGTH = HEADER_LENGTH + 1 + 4;

// EDNS option codes whose contents dns-packet reads (RFC 7871, 7828, 8145).
const OPTION_CLIENT_SUBNET = 8;
const OPTION_TCP_KEEPALIVE = 11;
const OPTION_KEY_TAG = 14;

/**
 * Reads `query` into `s` if it has the fast-path shape; false sends it to
 * the slow path (`s` may then hold partial values, which the slow path
 * overwrites). Allocates nothing.
 */
export function readFast(s: QueryState, query: Uint8Array, len: number): boolean {
  if (len < MIN_QUERY_LENGTH) return false;
  // Byte 2: QR and OPCODE zero. Counts: 1, 0, 0, then ARCOUNT 0 or 1.
  if (((query[2] as number) & 0xf8) !== 0) return false;
  if (
    ((query[4] as number) |
      (query[6] as number) |
      (query[7] as number) |
      (query[8] as number) |
      (query[9] as number) |
      (query[10] as number)) !==
    0
  )
    return false;
  const arcount = query[11] as number;
  if (query[5] !== 1 || arcount > 1) return false;
  if (scanQuestion(s, query, len) !== ScanError.OK || s.qclass !== CLASS_IN) return false;
  const p = s.end;
  if (arcount === 0) {
    s.edns = false;
    s.clientSubnet.present = false;
    return p === len;
  }
  // One OPT RR, to the last byte: owner 0 (root), TYPE 41, CLASS = the
  // client's UDP size, TTL = extended rcode, version, flags; RDLENGTH, options.
  if (p + OPT_RR_LENGTH > len) return false;
  if (query[p] !== 0 || query[p + 1] !== 0 || query[p + 2] !== QType.OPT) return false;
  if (query[p + 6] !== 0) return false; // EDNS version above 0: BADVERS, from the slow path
  const optEnd = p + OPT_RR_LENGTH + u16(query, p + 9);
  if (optEnd !== len || !optionsFramed(query, p + OPT_RR_LENGTH, optEnd)) return false;
  // A bad ECS option is FORMERR: the slow path reads it again and says so.
  if (readClientSubnet(query, p + OPT_RR_LENGTH, optEnd - p - OPT_RR_LENGTH, s.clientSubnet) < 0) return false;
  s.edns = true;
  s.ednsUdpSize = u16(query, p + 3);
  return true;
}

/**
 * Each option's code and length fit, the last ends at `end`, and the
 * options whose contents dns-packet reads hold what it reads (so the slow
 * path would decode the same message without an error).
 */
function optionsFramed(msg: Uint8Array, at: number, end: number): boolean {
  while (at < end) {
    if (at + 4 > end) return false;
    const code = u16(msg, at);
    const length = u16(msg, at + 2);
    at += 4 + length;
    if (at > end) return false;
    if (code === OPTION_CLIENT_SUBNET && length < 4) return false;
    if (code === OPTION_TCP_KEEPALIVE && length === 1) return false;
    if (code === OPTION_KEY_TAG && (length & 1) !== 0) return false;
  }
  return true;
}
