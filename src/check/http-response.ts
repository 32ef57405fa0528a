/**
 * Reads one HTTP/1.x response as it arrives, only as far as a probe's
 * verdict needs: the status line of the final response (interim 1xx ones
 * are skipped), then, when a body match is asked for, at most the first
 * BODY_MATCH_LIMIT bytes of the body, de-chunked. It stops at the first
 * thing that decides: a status out of range, the match found, the limit
 * reached, or the body's end.
 *
 * Framing follows RFC 9112: chunked (which wins over Content-Length), else
 * Content-Length, else the body runs to the close; 204 and 304 have none.
 * Anything that is not HTTP/1.x, a header block over 16 KiB, a bad
 * Content-Length or chunk size: `error`, as Node's parser would say.
 */
import type { ProbeFailure } from './probe.js';

/** The body match looks at no more than this many bytes of the body (Route 53's figure). */
export const BODY_MATCH_LIMIT = 5120;
/** The most header bytes read before a response counts as malformed (Node's default). */
export const MAX_HEADER_BYTES = 16 * 1024;

const HEAD = 0;
const BODY_LENGTH = 1; // Content-Length bytes left in `remaining`
const BODY_TO_CLOSE = 2;
const CHUNK_SIZE = 3; // reading a chunk-size line
const CHUNK_DATA = 4; // `remaining` bytes of chunk data left
const CHUNK_DATA_END = 5; // the CRLF after chunk data

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const HTTP_1 = Buffer.from('HTTP/1.', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

/** What `read` and `end` return: a verdict (null is success), or undefined for "not yet". */
export type Verdict = ProbeFailure | null | undefined;

export class ResponseReader {
  private state = HEAD;
  private head: Buffer | null = null;
  private headLen = 0;
  private remaining = 0;
  private chunkSize = 0;
  private chunkDigits = 0;
  private chunkExtension = false;
  private body: Buffer | null = null;
  private filled = 0;
  private readonly match: Buffer | null;
  /** The final response's status code once its status line is read; 0 before. */
  status = 0;

  constructor(
    private readonly statusMin: number,
    private readonly statusMax: number,
    bodyMatch: string | null,
  ) {
    this.match = bodyMatch === null || bodyMatch === '' ? null : Buffer.from(bodyMatch, 'utf8');
  }

  /** Takes the next bytes of the response. */
  read(chunk: Buffer): Verdict {
    let data = chunk;
    let off = 0;
    if (this.state === HEAD) {
      // A header block that straddles reads is gathered in `head`, one
      // copy a byte however it trickles in.
      if (this.headLen > 0) {
        const head = this.head as Buffer;
        const total = this.headLen + chunk.length;
        if (total <= head.length) {
          chunk.copy(head, this.headLen);
          data = head.subarray(0, total);
        } else data = Buffer.concat([head.subarray(0, this.headLen), chunk]);
        this.headLen = 0;
      }
      for (;;) {
        const end = data.indexOf(HEAD_END, off);
        if (end - off > MAX_HEADER_BYTES) return 'error';
        if (end < 0) {
          const have = data.length - off;
          if (have > MAX_HEADER_BYTES) return 'error';
          if (data.compare(HTTP_1, 0, Math.min(have, HTTP_1.length), off, off + Math.min(have, HTTP_1.length)) !== 0)
            return 'error';
          this.stash(data, off);
          return undefined;
        }
        const status = statusOf(data, off);
        if (status < 0) return 'error';
        const blockStart = off;
        off = end + HEAD_END.length;
        // Interim responses (100 Continue, 103 Early Hints): the final one follows.
        if (status >= 100 && status < 200 && status !== 101) continue;
        this.status = status;
        if (status < this.statusMin || status > this.statusMax) return 'status';
        if (this.match === null) return null;
        if (status === 204 || status === 304) return 'body';
        const framing = framingOf(data.toString('latin1', blockStart, end));
        if (framing === 'error') return 'error';
        this.body = Buffer.allocUnsafe(BODY_MATCH_LIMIT);
        if (framing === 'chunked') this.state = CHUNK_SIZE;
        else if (framing === 'close') this.state = BODY_TO_CLOSE;
        else {
          this.state = BODY_LENGTH;
          this.remaining = framing;
          if (framing === 0) return 'body';
        }
        break;
      }
    }
    return this.readBody(data, off);
  }

  /** The server closed its side: the verdict that leaves, if the response says one. */
  end(): ProbeFailure | null {
    // Only a body that runs to the close ends well here; anything else was cut short.
    return this.state === BODY_TO_CLOSE ? 'body' : 'reset';
  }

  private readBody(data: Buffer, from: number): Verdict {
    let off = from;
    while (off < data.length) {
      switch (this.state) {
        case BODY_TO_CLOSE:
        case BODY_LENGTH:
        case CHUNK_DATA: {
          const n = this.state === BODY_TO_CLOSE ? data.length - off : Math.min(this.remaining, data.length - off);
          const v = this.feed(data, off, n);
          if (v !== undefined) return v;
          off += n;
          this.remaining -= n;
          if (this.state === BODY_LENGTH && this.remaining === 0) return 'body';
          if (this.state === CHUNK_DATA && this.remaining === 0) this.state = CHUNK_DATA_END;
          break;
        }
        case CHUNK_DATA_END: {
          const b = data[off++] as number;
          if (b === LF) this.state = CHUNK_SIZE;
          else if (b !== CR) return 'error';
          break;
        }
        default: {
          // CHUNK_SIZE: hex digits, then an extension (";…") or whitespace to ignore, then CRLF.
          const b = data[off++] as number;
          if (b === LF) {
            if (this.chunkDigits === 0) return 'error';
            // The last chunk: the body ended without the match.
            if (this.chunkSize === 0) return 'body';
            this.state = CHUNK_DATA;
            this.remaining = this.chunkSize;
            this.chunkSize = 0;
            this.chunkDigits = 0;
            this.chunkExtension = false;
          } else if (b === CR || this.chunkExtension) {
            // nothing: the line ends at LF; extensions are ignored
          } else if (b === 0x3b || b === 0x20 || b === 0x09) {
            this.chunkExtension = true;
          } else {
            const d = hexValue(b);
            if (d < 0 || this.chunkDigits >= 12) return 'error';
            this.chunkSize = this.chunkSize * 16 + d;
            this.chunkDigits += 1;
          }
        }
      }
    }
    return undefined;
  }

  /** Keeps `data[off…]`, the start of a header block, for the next read. */
  private stash(data: Buffer, off: number): void {
    if (this.head === null) this.head = Buffer.allocUnsafe(MAX_HEADER_BYTES);
    if (data.buffer === this.head.buffer && data.byteOffset === this.head.byteOffset)
      this.head.copyWithin(0, off, data.length);
    else data.copy(this.head, 0, off, data.length);
    this.headLen = data.length - off;
  }

  /** Body bytes: copied until the limit, searched where a match could newly end. */
  private feed(data: Buffer, off: number, n: number): Verdict {
    const match = this.match as Buffer;
    const body = this.body as Buffer;
    const take = Math.min(n, BODY_MATCH_LIMIT - this.filled);
    data.copy(body, this.filled, off, off + take);
    // From the last (match.length - 1) old bytes on, so a match split across reads is found.
    const from = Math.max(0, this.filled - match.length + 1);
    this.filled += take;
    if (body.subarray(0, this.filled).indexOf(match, from) !== -1) return null;
    if (this.filled >= BODY_MATCH_LIMIT) return 'body';
    return undefined;
  }
}

/** The status code of a status line at `off` (`HTTP/1.x NNN …`), or -1. */
function statusOf(data: Buffer, off: number): number {
  if (data.length < off + 12 || data.compare(HTTP_1, 0, HTTP_1.length, off, off + HTTP_1.length) !== 0) return -1;
  const minor = data[off + 7] as number;
  if (minor < 0x30 || minor > 0x39 || data[off + 8] !== 0x20) return -1;
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const c = data[off + i] as number;
    if (c < 0x30 || c > 0x39) return -1;
    code = code * 10 + (c - 0x30);
  }
  const after = data[off + 12];
  return after === 0x20 || after === CR ? code : -1;
}

/** How the body of a header block is framed: 'chunked', a Content-Length, 'close', or 'error'. */
function framingOf(block: string): 'chunked' | 'close' | 'error' | number {
  let length: number | null = null;
  let chunked = false;
  const lines = block.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === 'transfer-encoding') chunked = value.split(',').pop()?.trim() === 'chunked';
    else if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return 'error';
      const n = Number(value);
      if (length !== null && length !== n) return 'error';
      length = n;
    }
  }
  return chunked ? 'chunked' : length !== null ? length : 'close';
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}
