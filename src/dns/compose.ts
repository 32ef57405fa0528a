/**
 * Composing a reply whose records are not all owned by the question name:
 * CNAME chains (owners are the targets), referrals (NS in authority, glue in
 * additional) and answers of every record type. Records go into the
 * QueryState's own `body` buffer first, counted per section; `finish` then
 * sizes the reply once (truncating it as `beginReply` does) and copies them.
 * Allocates nothing but the reply.
 *
 * An owner is either a compression pointer into the question (the question
 * name, or one of its suffixes) or whole wire-name bytes copied from the
 * plan (a CNAME answer's RDATA is its target's name; a zone's origin).
 */
import { beginReply, writeTypeClassTtlLength } from './reply.js';
import { MAX_MESSAGE_SIZE, type QueryState } from './wire.js';

/** Empties the body for a new reply. */
export function resetBody(s: QueryState): void {
  s.bodyLength = 0;
  s.bodyOverflow = false;
  s.an = 0;
  s.ns = 0;
  s.ar = 0;
}

/** Which section `putRecord` adds to. */
export const Section = { ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 2 } as const;
export type Section = (typeof Section)[keyof typeof Section];

/**
 * Adds one record: owner (a pointer when `ownerBytes` is null, else
 * `ownerLength` bytes of `ownerBytes` from `ownerFrom`), class IN, and
 * `rdLength` bytes of RDATA from `rdata` at `rdFrom`.
 */
export function putRecord(
  s: QueryState,
  section: Section,
  pointer: number,
  ownerBytes: Uint8Array | null,
  ownerFrom: number,
  ownerLength: number,
  type: number,
  ttl: number,
  rdata: Uint8Array,
  rdFrom: number,
  rdLength: number,
): void {
  const ownerSize = ownerBytes === null ? 2 : ownerLength;
  const b = s.body;
  let o = s.bodyLength;
  if (o + ownerSize + 10 + rdLength > b.length) {
    s.bodyOverflow = true;
    return;
  }
  if (ownerBytes === null) {
    b[o++] = pointer >>> 8;
    b[o++] = pointer;
  } else {
    for (let k = 0; k < ownerLength; k++) b[o++] = ownerBytes[ownerFrom + k] as number;
  }
  o = writeTypeClassTtlLength(b, o, type, ttl, rdLength);
  for (let k = 0; k < rdLength; k++) b[o + k] = rdata[rdFrom + k] as number;
  s.bodyLength = o + rdLength;
  if (section === Section.ANSWER) s.an++;
  else if (section === Section.AUTHORITY) s.ns++;
  else s.ar++;
}

/** The reply: header, question, the body's records (or none, with TC, if they do not fit), OPT. */
export function finish(s: QueryState, query: Uint8Array, rcode: number, aa: boolean): Buffer {
  const size = s.bodyOverflow ? MAX_MESSAGE_SIZE + 1 : s.bodyLength;
  const out = beginReply(s, query, rcode, aa, s.an, s.ns, size, s.ar);
  if (!s.truncated) s.body.copy(out, s.end, 0, s.bodyLength);
  return out;
}
