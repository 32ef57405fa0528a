/**
 * The DNS benchmark's baseline: the least a Node UDP DNS responder can do.
 * It copies the query, sets QR and AA, ANCOUNT 1, and appends one fixed A
 * record owned by a pointer to the question name (0xC00C) — no parsing, no
 * lookup, no validation. It runs as its own process, one thread, like
 * `urnd serve`'s one resolver thread, with the same receive buffer bound
 * (256 KiB), so "urnd ÷ bare" is the cost of everything urnd does per query
 * on top of the socket work both must do.
 *
 * Only for queries without additional records (the benchmark sends none):
 * an A record appended after an OPT RR would be in the wrong section.
 *
 *   node dist/bench/workers/dns-bare-responder.js [HOST]
 *
 * Prints one JSON line {"port": N} when bound (the OS picks the port);
 * exits when stdin closes (the parent finished or died).
 */
import dgram from 'node:dgram';

const host = process.argv[2] ?? '127.0.0.1';
if (!(host.startsWith('127.') || host === '::1')) {
  process.stderr.write(`dns-bare-responder: ${host} is not a loopback address\n`);
  process.exit(2);
}

// The record appended to every query: owner 0xC00C (the question name),
// TYPE A, CLASS IN, TTL 60, RDLENGTH 4, 192.0.2.1 (TEST-NET-1).
const RECORD = Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 1]);
const kHeaderBytes = 12;
const kFlagsHi = 2; // QR(1) OPCODE(4) AA(1) TC(1) RD(1)
const kFlagsLo = 3; // RA(1) Z(3) RCODE(4)
const kAnCountLo = 7;
const kQr = 0x80;
const kAa = 0x04;
const kRd = 0x01;

const socket = dgram.createSocket({ type: host === '::1' ? 'udp6' : 'udp4', recvBufferSize: 256 * 1024 });
let answered = 0;

socket.on('message', (query, rinfo) => {
  if (query.length < kHeaderBytes) return;
  // One Buffer per reply, as urnd allocates one per reply.
  const reply = Buffer.allocUnsafe(query.length + RECORD.length);
  query.copy(reply, 0);
  RECORD.copy(reply, query.length);
  reply[kFlagsHi] = kQr | ((query[kFlagsHi] as number) & 0x78) | kAa | ((query[kFlagsHi] as number) & kRd);
  reply[kFlagsLo] = 0;
  reply[kAnCountLo - 1] = 0;
  reply[kAnCountLo] = 1;
  socket.send(reply, rinfo.port, rinfo.address);
  answered += 1;
});
socket.on('error', () => {
  // A failed send: one reply lost, the responder goes on.
});
socket.bind(0, host, () => {
  process.stdout.write(`${JSON.stringify({ port: socket.address().port })}\n`);
});

const finish = () => {
  socket.close();
  process.exit(0);
};
process.stdin.resume();
process.stdin.on('end', finish);
process.stdin.on('close', finish);
process.on('SIGTERM', finish);
// `answered` is reported on request: a line "stats" on stdin gets {"answered": N}.
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (chunk.includes('stats')) process.stdout.write(`${JSON.stringify({ answered })}\n`);
});
