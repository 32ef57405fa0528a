/**
 * RDATA text, as a zone file writes it, to wire bytes: once per answer at
 * compile time, so a reply copies bytes and no query encodes anything.
 *
 *   A      192.0.2.1                     AAAA  2001:db8::1
 *   CNAME  www.shop.example. | www       PTR / NS  the same: one name
 *   MX     10 mail.shop.example.         SRV   10 5 443 api.shop.example.
 *   TXT    "v=spf1 -all" "second"  or bare text (one string)
 *   CAA    0 issue "letsencrypt.org"
 *
 * Names are absolute with a trailing dot, relative to the zone origin
 * without one, or `@` for the origin; they are stored lower case and always
 * uncompressed (RFC 2782 forbids compressing SRV targets, and whole names
 * let a reply copy RDATA as it is). A TXT character-string longer than 255
 * bytes is split into 255-byte strings.
 */
import type { RecordTypeName } from './plan.js';
import { formatIPv4, formatIPv6, isDnsName, parseIPv4, parseIPv6 } from './names.js';

/** Largest RDATA of one answer, bytes (a TXT of about 4,000 characters, Route 53's limit). */
export const MAX_RDATA_BYTES = 4096;

/** An answer's RDATA: wire bytes and one canonical text. */
export interface Rdata {
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** A name in RDATA: its wire bytes and its text (lower case, with the trailing dot). */
export interface RdataName {
  readonly wire: Uint8Array;
  readonly text: string;
}

/**
 * The name `text` stands for inside `origin` (lower case, no trailing dot;
 * null when the record is in no zone), or why it is not a name.
 */
export function parseRdataName(text: string, origin: string | null): RdataName | string {
  let absolute: string;
  if (text === '@') {
    if (origin === null) return '"@" outside a zone';
    absolute = origin;
  } else if (text === '.') {
    absolute = '';
  } else if (text.endsWith('.')) {
    absolute = text.slice(0, -1);
  } else {
    if (origin === null) return `${JSON.stringify(text)} is relative and the record is in no zone`;
    absolute = `${text}.${origin}`;
  }
  absolute = absolute.toLowerCase();
  if (absolute !== '' && !isDnsName(absolute)) return `${JSON.stringify(text)} is not a valid DNS name`;
  const labels = absolute === '' ? [] : absolute.split('.');
  const wire = new Uint8Array(absolute.length + (absolute === '' ? 1 : 2));
  let o = 0;
  for (const label of labels) {
    wire[o++] = label.length;
    for (let i = 0; i < label.length; i++) wire[o++] = label.charCodeAt(i);
  }
  wire[o] = 0;
  return { wire, text: `${absolute}.` };
}

/** Splits on blanks, keeping quoted strings (with `\"`, `\\`, `\DDD` escapes) as one token each. */
interface Token {
  readonly bytes: Uint8Array;
  readonly quoted: boolean;
  readonly raw: string;
}

function tokenize(text: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      const bytes: number[] = [];
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return `a quoted string is not closed: ${text.slice(i)}`;
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\') {
          const digits = /^\d{3}/.exec(text.slice(j + 1, j + 4));
          if (digits !== null) {
            const v = Number(digits[0]);
            if (v > 255) return `\\${digits[0]} is not a byte`;
            bytes.push(v);
            j += 4;
            continue;
          }
          if (j + 1 >= text.length) return 'a quoted string ends in a lone backslash';
          j++;
        }
        for (const b of Buffer.from(text[j]!, 'utf8')) bytes.push(b);
        j++;
      }
      out.push({ bytes: Uint8Array.from(bytes), quoted: true, raw: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
    const raw = text.slice(i, j);
    out.push({ bytes: Buffer.from(raw, 'utf8'), quoted: false, raw });
    i = j;
  }
  return out;
}

/** A character-string's text in the canonical form: quoted, `"` and `\` escaped, other odd bytes `\DDD`. */
function quote(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${String(b).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return `${s}"`;
}

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

function whole(token: Token | undefined, what: string, max: number): number | string {
  if (token === undefined) return `the ${what} is missing`;
  if (token.quoted || !/^\d{1,10}$/.test(token.raw)) return `${what} ${JSON.stringify(token.raw)} is not a number`;
  const n = Number(token.raw);
  if (n > max) return `${what} ${n} is above ${max}`;
  return n;
}

function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** TXT: quoted strings, or bare text taken whole as one string; each cut into 255-byte character-strings. */
function txt(text: string): Rdata | string {
  const trimmed = text.trim();
  let strings: Uint8Array[];
  if (trimmed.startsWith('"')) {
    const tokens = tokenize(trimmed);
    if (typeof tokens === 'string') return tokens;
    const bare = tokens.find((t) => !t.quoted);
    if (bare !== undefined) return `${JSON.stringify(bare.raw)} is outside quotes (quote every string, or none)`;
    strings = tokens.map((t) => t.bytes);
  } else {
    strings = [Buffer.from(text, 'utf8')];
  }
  const chunks: Uint8Array[] = [];
  for (const s of strings) {
    if (s.length === 0) chunks.push(s);
    for (let at = 0; at < s.length; at += 255) chunks.push(s.subarray(at, at + 255));
  }
  return {
    bytes: concat(chunks.flatMap((c) => [[c.length], c])),
    text: chunks.map(quote).join(' '),
  };
}

function exactly(tokens: readonly Token[], n: number, shape: string): string | null {
  return tokens.length === n ? null : `expected ${shape}, got ${tokens.length} field(s)`;
}

/**
 * The RDATA of one answer of a `type` record set whose zone origin is
 * `origin`, or the reason `text` is not valid RDATA for it (one phrase,
 * without the value, which the caller's message names).
 */
export function parseRdata(type: RecordTypeName, text: string, origin: string | null): Rdata | string {
  const result = parseAny(type, text, origin);
  if (typeof result !== 'string' && result.bytes.length > MAX_RDATA_BYTES)
    return `its RDATA is ${result.bytes.length} bytes, more than ${MAX_RDATA_BYTES}`;
  return result;
}

function parseAny(type: RecordTypeName, text: string, origin: string | null): Rdata | string {
  switch (type) {
    case 'A': {
      const v4 = parseIPv4(text);
      return v4 === null ? 'not an IPv4 address' : { bytes: v4, text: formatIPv4(v4) };
    }
    case 'AAAA': {
      const v6 = parseIPv6(text);
      return v6 === null ? 'not an IPv6 address' : { bytes: v6, text: formatIPv6(v6) };
    }
    case 'CNAME':
    case 'PTR':
    case 'NS': {
      const name = parseRdataName(text.trim(), origin);
      if (typeof name === 'string') return name;
      if (name.text === '.') return 'the root is not a target';
      return { bytes: name.wire, text: name.text };
    }
    case 'TXT':
      return txt(text);
    case 'MX': {
      const tokens = tokenize(text);
      if (typeof tokens === 'string') return tokens;
      const bad = exactly(tokens, 2, 'PREFERENCE EXCHANGE (e.g. 10 mail.shop.example.)');
      if (bad !== null) return bad;
      const pref = whole(tokens[0], 'preference', 65_535);
      if (typeof pref === 'string') return pref;
      const name = parseRdataName(tokens[1]!.raw, origin);
      if (typeof name === 'string') return name;
      return { bytes: concat([u16(pref), name.wire]), text: `${pref} ${name.text}` };
    }
    case 'SRV': {
      const tokens = tokenize(text);
      if (typeof tokens === 'string') return tokens;
      const bad = exactly(tokens, 4, 'PRIORITY WEIGHT PORT TARGET (e.g. 10 5 443 api.shop.example.)');
      if (bad !== null) return bad;
      const nums: number[] = [];
      for (const [k, what] of (['priority', 'weight', 'port'] as const).entries()) {
        const n = whole(tokens[k], what, 65_535);
        if (typeof n === 'string') return n;
        nums.push(n);
      }
      const name = parseRdataName(tokens[3]!.raw, origin);
      if (typeof name === 'string') return name;
      return {
        bytes: concat([...nums.map(u16), name.wire]),
        text: `${nums.join(' ')} ${name.text}`,
      };
    }
    case 'CAA': {
      const tokens = tokenize(text);
      if (typeof tokens === 'string') return tokens;
      const bad = exactly(tokens, 3, 'FLAGS TAG VALUE (e.g. 0 issue "letsencrypt.org")');
      if (bad !== null) return bad;
      const flags = whole(tokens[0], 'flags', 255);
      if (typeof flags === 'string') return flags;
      const tag = tokens[1]!;
      if (tag.quoted || !/^[A-Za-z0-9]{1,15}$/.test(tag.raw))
        return `tag ${JSON.stringify(tag.raw)} is not 1 to 15 letters and digits`;
      const value = tokens[2]!.bytes;
      const tagText = tag.raw.toLowerCase();
      return {
        bytes: concat([[flags, tagText.length], Buffer.from(tagText, 'latin1'), value]),
        text: `${flags} ${tagText} ${quote(value)}`,
      };
    }
  }
}
