/**
 * Text rules for the names and addresses a config document holds: DNS names,
 * probe host names, and IPv4/IPv6 literals with their canonical text. Hand
 * written rather than `node:net` because we need the 16 packed bytes and one
 * canonical spelling (RFC 5952), and `net.isIP` gives neither. One address
 * parser, allocation-free (`parseAddressInto`), serves the config and the
 * resolver's per-query client address alike.
 */

/** Lower case, no trailing dot: the one spelling of a name inside a Plan. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

// DNS labels may hold underscores (`_service.demo.test`); host names may not.
const DNS_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function labelsOk(name: string, label: RegExp): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253) return false;
  for (const part of bare.split('.')) if (!label.test(part)) return false;
  return true;
}

/** A DNS owner name such as `www.demo.test` (a trailing dot is allowed; the root alone is not). */
export function isDnsName(name: string): boolean {
  return labelsOk(name, DNS_LABEL);
}

/**
 * A record owner: a DNS name, or a wildcard (`*.shop.example`, RFC 4592):
 * `*` alone as the leftmost label of a DNS name.
 */
export function isOwnerName(name: string): boolean {
  return name.startsWith('*.') ? isDnsName(name.slice(2)) : isDnsName(name);
}

/** True for a wildcard owner (`*.shop.example`). */
export function isWildcard(name: string): boolean {
  return name.startsWith('*.');
}

/**
 * A probe target: an IPv4 or IPv6 literal, or a host name. A name whose last
 * label is all digits is refused so that a mistyped address (`127.0.1`) is
 * reported instead of being looked up as a name.
 */
export function isHost(host: string): boolean {
  if (parseIPv4(host) !== null || parseIPv6(host) !== null) return true;
  if (!labelsOk(host, HOST_LABEL)) return false;
  const bare = host.endsWith('.') ? host.slice(0, -1) : host;
  return !/^\d+$/.test(bare.slice(bare.lastIndexOf('.') + 1));
}

/** The zone a name belongs to: the longest origin it equals or sits under; -1 if none. Both normalized. */
export function findZone(name: string, origins: readonly string[]): number {
  let best = -1;
  let bestLength = -1;
  for (let i = 0; i < origins.length; i++) {
    const origin = origins[i]!;
    const inside = name === origin || name.endsWith('.' + origin);
    if (inside && origin.length > bestLength) {
      best = i;
      bestLength = origin.length;
    }
  }
  return best;
}

/** Address families as IANA numbers them (and as the ECS option carries them). */
export const AddressFamily = { IPv4: 1, IPv6: 2 } as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/** Strict dotted quad (no leading zeros, which some parsers read as octal), or null. */
export function parseIPv4(text: string): Uint8Array | null {
  const out = new Uint8Array(4);
  return parseV4(text, 0, text.length, out, 0) ? out : null;
}

/** An IPv6 literal (no brackets, no zone id) as 16 bytes, or null. */
export function parseIPv6(text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  return parseV6(text, 0, text.length, out) ? out : null;
}

/**
 * Parses an IPv4 (dotted quad) or IPv6 address in `text[start, end)` into
 * `out[0..4)` or `out[0..16)`; returns its AddressFamily, or 0 if it is not
 * one. Allocates nothing, so it can read a socket's address per query.
 * No zone (`%eth0`), no leading zeros in IPv4 (ambiguous: octal or not).
 */
export function parseAddressInto(text: string, start: number, end: number, out: Uint8Array): AddressFamily | 0 {
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === 0x3a) return parseV6(text, start, end, out) ? AddressFamily.IPv6 : 0;
  }
  return parseV4(text, start, end, out, 0) ? AddressFamily.IPv4 : 0;
}

function parseV4(text: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function parseV6(text: string, start: number, end: number, out: Uint8Array): boolean {
  let n = 0; // bytes written
  let gap = -1; // byte index where '::' stood
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === 0x3a) {
    if (text.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      out.fill(0, 0, 16);
      return true;
    }
  }
  for (;;) {
    // One group: hex digits, or a dotted IPv4 tail.
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const d = hex(text.charCodeAt(j));
      if (d < 0) break;
      value = (value << 4) | d;
      digits++;
    }
    if (j < end && text.charCodeAt(j) === 0x2e) {
      if (n > 12 || !parseV4(text, i, end, out, n)) return false;
      n += 4;
      break;
    }
    if (digits === 0 || digits > 4 || n > 14) return false;
    out[n++] = value >> 8;
    out[n++] = value & 0xff;
    if (j === end) break;
    if (text.charCodeAt(j) !== 0x3a) return false;
    if (j + 1 < end && text.charCodeAt(j + 1) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false;
    }
  }
  if (gap < 0) return n === 16;
  if (n === 16) return false; // '::' must stand for at least one group
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[15 - k] = out[n - 1 - k] as number;
  out.fill(0, gap, 16 - tail);
  return true;
}

/** Canonical IPv4 text of 4 bytes at `offset`. */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * RFC 5952 text of 16 bytes at `offset`: lower case, no leading zeros, the
 * longest run (first on a tie) of two or more zero groups as `::`, and
 * IPv4-mapped addresses with a dotted tail.
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  let mapped = bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
  for (let i = 0; i < 10; i++) mapped &&= bytes[offset + i] === 0;
  return mapped ? `::ffff:${formatIPv4(bytes, offset + 12)}` : formatIPv6Hex(bytes, offset);
}

/**
 * RFC 5952 text of 16 bytes at `offset` with every group in hex, an
 * IPv4-mapped address too (`::ffff:c000:201`): lower case, no leading
 * zeros, the longest run (first on a tie) of two or more zero groups as `::`.
 */
export function formatIPv6Hex(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
