/**
 * Text rules for the names and addresses a config document holds: DNS names,
 * probe host names, and IPv4/IPv6 literals with their canonical text. Hand
 * written rather than `node:net` because we need the 16 packed bytes and one
 * canonical spelling (RFC 5952), and `net.isIP` gives neither.
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

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Strict dotted quad (no leading zeros, which some parsers read as octal), or null. */
export function parseIPv4(text: string): Uint8Array | null {
  const m = IPV4.exec(text);
  if (m === null) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    if (part.length > 1 && part.startsWith('0')) return null;
    const n = Number(part);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseGroups(part: string, out: number[]): boolean {
  if (part === '') return true;
  const pieces = part.split(':');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (i === pieces.length - 1 && piece.includes('.')) {
      // An embedded IPv4 address fills the last two groups.
      const v4 = parseIPv4(piece);
      if (v4 === null) return false;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!HEX_GROUP.test(piece)) return false;
    out.push(parseInt(piece, 16));
  }
  return true;
}

/** An IPv6 literal (no brackets, no zone id) as 16 bytes, or null. */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45 || !text.includes(':')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head: number[] = [];
  const tail: number[] = [];
  if (!parseGroups(halves[0]!, head)) return null;
  if (halves.length === 2) {
    if (!parseGroups(halves[1]!, tail)) return null;
    // An embedded IPv4 address may only end the address.
    if (halves[0]!.includes('.')) return null;
    if (head.length + tail.length > 7) return null;
  } else if (head.length !== 8) {
    return null;
  }
  const groups = new Array<number>(8).fill(0);
  for (let i = 0; i < head.length; i++) groups[i] = head[i]!;
  for (let i = 0; i < tail.length; i++) groups[8 - tail.length + i] = tail[i]!;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
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
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  const mapped =
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff;
  if (mapped) return `::ffff:${formatIPv4(bytes, offset + 12)}`;
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
