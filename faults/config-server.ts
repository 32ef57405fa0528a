/**
 * Child entry, run inside the config namespace: serves the cell's config
 * document over HTTP. A stdin line switches what it serves:
 * `ok` (the document), `slow` (the document, one byte every 100 ms),
 * `truncated` (the first half, then the connection ends), `other`
 * (a valid document of another cell, given as base64 after the word).
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { PORTS } from './topology.js';

type Mode = 'ok' | 'slow' | 'truncated' | 'other';
const good = Buffer.from(process.argv[2] ?? '', 'base64');
let other = good;
let mode: Mode = 'ok';
let served = 0;

const server = http.createServer((req, res) => {
  served++;
  const body = mode === 'other' ? other : good;
  if (mode === 'slow') {
    res.writeHead(200, { 'content-type': 'application/yaml', 'content-length': body.length });
    let i = 0;
    const timer = setInterval(() => {
      if (i >= body.length || res.destroyed) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(body.subarray(i, i + 1));
      i++;
    }, 100);
    req.socket.once('close', () => clearInterval(timer));
    return;
  }
  if (mode === 'truncated') {
    // Announces the whole length and sends half: a cut transfer, not a short document.
    res.writeHead(200, { 'content-type': 'application/yaml', 'content-length': body.length });
    res.write(body.subarray(0, body.length >> 1), () => req.socket.destroy());
    return;
  }
  res.writeHead(200, { 'content-type': 'application/yaml', 'content-length': body.length });
  res.end(body);
});
server.listen(PORTS.config, '0.0.0.0', () => process.stdout.write(`config: listening on ${PORTS.config}\n`));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [word, arg] = line.trim().split(/\s+/);
  if (word === 'ok' || word === 'slow' || word === 'truncated' || word === 'other') {
    mode = word;
    if (word === 'other' && arg !== undefined) other = Buffer.from(arg, 'base64');
  }
  process.stdout.write(`config: mode ${mode}, served ${served}\n`);
});
process.stdin.on('end', () => process.exit(0));
