import { AddressFamily, CIDR_MATCH_LENGTH, parseAddressInto } from './cidr-table.js';
import { badArgument } from './arguments.js';

/**
 * The address an IP-based (`policy: ip`) record set routes by, for the
 * query being answered: the EDNS Client Subnet option's address and source
 * prefix when the query carried one, else the query's source address at
 * full length. One per Resolver, reused for every query: the DNS responder
 * sets it before it resolves, so a query allocates nothing.
 *
 * "No client" is IPv4 with prefix 0: that matches no block (Route 53's
 * blocks are /1 and longer), so the set answers its default, with scope 0,
 * through the same lookup as any client.
 */
export class ClientAddress {
  /** AddressFamily of `bytes`. */
  family: AddressFamily = AddressFamily.IPv4;
  /** Bits of `bytes` known: 32 / 128 for a source address, the ECS SOURCE PREFIX-LENGTH, or 0 (no client). */
  prefix = 0;
  /** The address, zero-filled to 16 bytes. */
  readonly bytes = new Uint8Array(16);
  /**
   * The longest ECS scope (RFC 7871) an ip set used while answering this
   * query, 0 when none was consulted: what the reply's option carries.
   * `clear`, `setText` and `setBytes` reset it.
   */
  scope = 0;
  /** `CidrTable.match`'s output, reused. */
  readonly match = new Int32Array(CIDR_MATCH_LENGTH);

  /** No client: ip sets answer their default. */
  clear(): void {
    this.family = AddressFamily.IPv4;
    this.prefix = 0;
    this.scope = 0;
  }

  /**
   * A source address as text (`127.0.0.2`, `::1`, `::ffff:127.0.0.1`), at
   * full length; text that is not an IP address counts as no client.
   * Allocates nothing (a socket's remote address, per query).
   */
  setText(address: string): void {
    const family = parseAddressInto(address, 0, address.length, this.bytes);
    this.scope = 0;
    if (family === 0) {
      this.clear();
      return;
    }
    this.family = family;
    this.prefix = family === AddressFamily.IPv4 ? 32 : 128;
  }

  /** An ECS option's address (`bytes` zero-filled past `prefix` bits, as `readClientSubnet` leaves it). */
  setBytes(family: AddressFamily, bytes: Uint8Array, prefix: number): void {
    this.family = family;
    this.prefix = prefix;
    this.scope = 0;
    for (let i = 0; i < 16; i++) this.bytes[i] = bytes[i] as number;
  }
}

/** `address` for the allocating calls (`resolve`, `explain`, `createLookup`): text, or undefined / null for no client. */
export function setClientText(client: ClientAddress, address: string | null | undefined): void {
  if (address === undefined || address === null) {
    client.clear();
    return;
  }
  if (typeof address !== 'string' || parseAddressInto(address, 0, address.length, client.bytes) === 0)
    throw badArgument('client', address, 'an IPv4 or IPv6 address');
  client.setText(address);
}
