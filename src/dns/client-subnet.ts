/**
 * EDNS Client Subnet (RFC 7871): reading the option from a query's OPT RR
 * and writing it into the reply, for `policy: ip` (wired in next).
 *
 * The option (OPTION-CODE 8) inside the OPT RR's RDATA:
 *
 *   +0  OPTION-CODE (2) = 8      +2  OPTION-LENGTH (2)
 *   +4  FAMILY (2): 1 IPv4, 2 IPv6
 *   +6  SOURCE PREFIX-LENGTH (1) +7  SCOPE PREFIX-LENGTH (1)
 *   +8  ADDRESS: exactly ceil(SOURCE / 8) bytes, bits past SOURCE zero
 *
 * A query's option is rejected (the caller answers FORMERR) when it breaks
 * the RFC's format: shorter than 4 bytes, an unknown FAMILY (§7.2.1: MUST be
 * rejected with FORMERR), SOURCE longer than the family's width, SCOPE not
 * 0 (§6: MUST be 0 in queries), too few or too many ADDRESS bytes or a set
 * bit past SOURCE (§6: SHOULD return FORMERR), or a second ECS option (which
 * one would the reply mirror?). SOURCE 0 is valid and is not refused (§7.5):
 * it matches no block, so the client gets the default answer, scope 0.
 *
 * The reply carries FAMILY, SOURCE and ADDRESS as the query sent them
 * (§7.2.1) with the SCOPE the match used; a reply to a query without the
 * option carries none (§7.2.1).
 */
import { AddressFamily } from '../resolve/cidr-table.js';

/** The ECS OPTION-CODE (RFC 7871 §6). */
export const OPTION_CLIENT_SUBNET = 8;
/** FAMILY, SOURCE and SCOPE: the option data before ADDRESS. */
const FIXED_LENGTH = 4;
/** OPTION-CODE and OPTION-LENGTH. */
const OPTION_HEADER_LENGTH = 4;

/** What `readClientSubnet` found: ABSENT or PRESENT, or (negative) why the query is FORMERR. */
export const ClientSubnetRead = {
  ABSENT: 0,
  PRESENT: 1,
  /** An option's code and length run past the RDATA. */
  OPTIONS_MALFORMED: -1,
  /** OPTION-LENGTH below 4: no room for FAMILY, SOURCE, SCOPE. */
  TOO_SHORT: -2,
  /** FAMILY is neither 1 (IPv4) nor 2 (IPv6). */
  UNKNOWN_FAMILY: -3,
  /** SOURCE PREFIX-LENGTH above 32 (IPv4) or 128 (IPv6). */
  SOURCE_TOO_LONG: -4,
  /** SCOPE PREFIX-LENGTH not 0 in a query. */
  SCOPE_NOT_ZERO: -5,
  /** ADDRESS is not exactly ceil(SOURCE / 8) bytes. */
  ADDRESS_LENGTH: -6,
  /** A bit of ADDRESS past SOURCE is set. */
  BITS_PAST_SOURCE: -7,
  /** Two ECS options in one OPT RR. */
  DUPLICATE: -8,
} as const;
export type ClientSubnetRead = (typeof ClientSubnetRead)[keyof typeof ClientSubnetRead];

/**
 * A query's ECS option, in fields reused for every query (one per
 * Responder, beside its QueryState): reading allocates nothing.
 */
export class ClientSubnetState {
  /** The query carried a valid ECS option; the other fields hold it. */
  present = false;
  /** FAMILY as sent: AddressFamily.IPv4 (1) or IPv6 (2). */
  family: AddressFamily = AddressFamily.IPv4;
  sourcePrefix = 0;
  /** ADDRESS bytes as sent (ceil(sourcePrefix / 8)). */
  addressLength = 0;
  /** ADDRESS, zero-filled to 16 bytes: ready for `CidrTable.match(family, address, 0, sourcePrefix, …)`. */
  readonly address = new Uint8Array(16);
}

/**
 * Reads the ECS option, if any, from an OPT RR's RDATA
 * (`msg[rdataOffset, rdataOffset + rdataLength)`) into `state`. Returns
 * PRESENT, ABSENT, or a negative ClientSubnetRead: answer FORMERR. Other
 * options are stepped over. Allocates nothing.
 */
export function readClientSubnet(
  msg: Uint8Array,
  rdataOffset: number,
  rdataLength: number,
  state: ClientSubnetState,
): ClientSubnetRead {
  state.present = false;
  state.sourcePrefix = 0;
  state.addressLength = 0;
  state.address.fill(0);
  const read = readOptions(msg, rdataOffset, rdataOffset + rdataLength, state);
  // A rejected query holds no option, even if a first one was good.
  if (read < 0) state.present = false;
  return read;
}

function readOptions(msg: Uint8Array, at: number, end: number, state: ClientSubnetState): ClientSubnetRead {
  let found: ClientSubnetRead = ClientSubnetRead.ABSENT;
  while (at < end) {
    if (at + OPTION_HEADER_LENGTH > end) return ClientSubnetRead.OPTIONS_MALFORMED;
    const code = ((msg[at] as number) << 8) | (msg[at + 1] as number);
    const length = ((msg[at + 2] as number) << 8) | (msg[at + 3] as number);
    const data = at + OPTION_HEADER_LENGTH;
    at = data + length;
    if (at > end) return ClientSubnetRead.OPTIONS_MALFORMED;
    if (code !== OPTION_CLIENT_SUBNET) continue;
    if (found !== ClientSubnetRead.ABSENT) return ClientSubnetRead.DUPLICATE;
    found = readOption(msg, data, length, state);
    if (found !== ClientSubnetRead.PRESENT) return found;
  }
  return found;
}

function readOption(msg: Uint8Array, data: number, length: number, state: ClientSubnetState): ClientSubnetRead {
  if (length < FIXED_LENGTH) return ClientSubnetRead.TOO_SHORT;
  const family = ((msg[data] as number) << 8) | (msg[data + 1] as number);
  if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) return ClientSubnetRead.UNKNOWN_FAMILY;
  const source = msg[data + 2] as number;
  if (source > (family === AddressFamily.IPv4 ? 32 : 128)) return ClientSubnetRead.SOURCE_TOO_LONG;
  if (msg[data + 3] !== 0) return ClientSubnetRead.SCOPE_NOT_ZERO;
  const bytes = (source + 7) >> 3;
  if (length - FIXED_LENGTH !== bytes) return ClientSubnetRead.ADDRESS_LENGTH;
  const address = data + FIXED_LENGTH;
  // Bits past SOURCE sit in the last byte only (exactly `bytes` were sent).
  if (bytes > 0 && ((msg[address + bytes - 1] as number) & (0xff >> (source - 8 * (bytes - 1)))) !== 0) {
    return ClientSubnetRead.BITS_PAST_SOURCE;
  }
  for (let i = 0; i < bytes; i++) state.address[i] = msg[address + i] as number;
  state.family = family;
  state.sourcePrefix = source;
  state.addressLength = bytes;
  state.present = true;
  return ClientSubnetRead.PRESENT;
}

/** Bytes the reply's ECS option takes (option header included), 0 if the query had none. */
export function clientSubnetOptionLength(state: ClientSubnetState): number {
  return state.present ? OPTION_HEADER_LENGTH + FIXED_LENGTH + state.addressLength : 0;
}

/**
 * Writes the reply's ECS option at `buf[offset]`: the query's FAMILY, SOURCE
 * and ADDRESS with `scopePrefix`. Returns the offset past it; writes nothing
 * if the query had no option. The caller counts the bytes in the OPT RR's
 * RDLENGTH (`clientSubnetOptionLength`). Allocates nothing.
 */
export function writeClientSubnet(
  buf: Uint8Array,
  offset: number,
  state: ClientSubnetState,
  scopePrefix: number,
): number {
  if (!state.present) return offset;
  const length = FIXED_LENGTH + state.addressLength;
  buf[offset] = 0;
  buf[offset + 1] = OPTION_CLIENT_SUBNET;
  buf[offset + 2] = length >> 8;
  buf[offset + 3] = length & 0xff;
  buf[offset + 4] = 0;
  buf[offset + 5] = state.family;
  buf[offset + 6] = state.sourcePrefix;
  buf[offset + 7] = scopePrefix;
  for (let i = 0; i < state.addressLength; i++) buf[offset + 8 + i] = state.address[i] as number;
  return offset + OPTION_HEADER_LENGTH + length;
}
