import { describe, expect, it } from 'vitest';
import { BODY_MATCH_LIMIT, ResponseReader, type Verdict } from '../src/check/http-response.js';

/**
 * The probe's HTTP response reader, fed a response whole and then one byte
 * at a time (every split a socket could make): both must give the same
 * verdict. `end` is what the reader says if the server then closes.
 */
function verdicts(
  response: string | Buffer,
  bodyMatch: string | null = null,
  range: [number, number] = [200, 399],
): { whole: Verdict; bytewise: Verdict } {
  const bytes = typeof response === 'string' ? Buffer.from(response, 'latin1') : response;
  const run = (pieces: Buffer[]): Verdict => {
    const r = new ResponseReader(range[0], range[1], bodyMatch);
    for (const p of pieces) {
      const v = r.read(p);
      if (v !== undefined) return v;
    }
    return `end:${r.end() ?? 'ok'}` as Verdict;
  };
  return { whole: run([bytes]), bytewise: run(Array.from(bytes, (b) => Buffer.from([b]))) };
}

function expectVerdict(
  response: string | Buffer,
  want: Verdict | string,
  bodyMatch: string | null = null,
  range?: [number, number],
): void {
  const v = verdicts(response, bodyMatch, range);
  expect(v.whole).toBe(want);
  expect(v.bytewise).toBe(want);
}

const chunked = (...chunks: string[]) =>
  `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('')}0\r\n\r\n`;

describe('HTTP response reader: status', () => {
  it('decides on the status line alone when no body match is asked for', () => {
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', null);
    expectVerdict('HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n', null);
    expectVerdict('HTTP/1.1 500 Internal Server Error\r\n\r\n', 'status');
    expectVerdict('HTTP/1.1 404\r\n\r\n', null, null, [200, 499]);
  });

  it('skips interim 1xx responses to the final one', () => {
    expectVerdict('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', null);
    expectVerdict('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 503 Busy\r\n\r\n', 'status');
    expectVerdict(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nneedle',
      null,
      'needle',
    );
  });

  it('calls anything that is not an HTTP/1.x response an error, early', () => {
    expectVerdict('SSH-2.0-OpenSSH_9.6\r\n\r\n', 'error');
    expectVerdict('SSH-2.0-OpenSSH_9.6\r\n', 'error'); // no blank line needed to tell
    expectVerdict('HTTP/2 200\r\n\r\n', 'error');
    expectVerdict('HTTP/1.1 2x0 OK\r\n\r\n', 'error');
    expectVerdict(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(17_000)}\r\n\r\n`, 'error');
  });

  it('a close before the status line is a reset', () => {
    expectVerdict('', 'end:reset');
    expectVerdict('HTTP/1.1 200 O', 'end:reset');
  });
});

describe('HTTP response reader: body match', () => {
  it('Content-Length: the match, or "body" at the body end without waiting for the close', () => {
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world', null, 'world');
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world', 'body', 'planet');
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'body', 'x');
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello', 'end:reset', 'planet');
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: x1\r\n\r\nhello', 'error', 'planet');
    expectVerdict('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', 'error', 'planet');
  });

  it('no framing: the body runs to the close', () => {
    expectVerdict('HTTP/1.1 200 OK\r\n\r\nhello world', 'end:body', 'planet');
    expectVerdict('HTTP/1.1 200 OK\r\n\r\nhello world', null, 'world');
  });

  it('204 and 304 have no body', () => {
    expectVerdict('HTTP/1.1 204 No Content\r\n\r\n', 'body', 'x');
    expectVerdict('HTTP/1.1 304 Not Modified\r\n\r\n', 'body', 'x');
  });

  it('chunked: de-chunked, a match split over chunks found, extensions and hex case ignored', () => {
    expectVerdict(chunked('xxxx nee', 'dle yyyy'), null, 'needle');
    expectVerdict(chunked('abc', 'def'), 'body', 'needle');
    expectVerdict(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n0A;name=value\r\n0123456789\r\n0\r\n\r\n',
      null,
      '4567',
    );
    expectVerdict(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n6\r\nneedle\r\n0\r\n\r\n',
      null,
      'needle',
    );
    expectVerdict('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nneedle\r\n', 'error', 'needle');
    expectVerdict('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nneedleXX', 'error', 'nope');
    expectVerdict('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nnee', 'end:reset', 'nope');
  });

  it('counts the first 5,120 body bytes, not framing bytes', () => {
    const needle = 'NEEDLE';
    const body = 'x'.repeat(BODY_MATCH_LIMIT - needle.length) + needle; // ends exactly at byte 5,120
    // In 100-byte chunks, the chunk-size lines add ~250 framing bytes before the needle.
    const pieces = body.match(/.{1,100}/gs) as string[];
    expectVerdict(chunked(...pieces), null, needle);
    const late = 'x'.repeat(BODY_MATCH_LIMIT - needle.length + 1) + needle; // ends at byte 5,121
    expectVerdict(chunked(...(late.match(/.{1,100}/gs) as string[])), 'body', needle);
    expectVerdict(`HTTP/1.1 200 OK\r\nContent-Length: ${late.length}\r\n\r\n${late}`, 'body', needle);
  });
});
