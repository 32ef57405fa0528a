/**
 * Child entry, run inside the client namespace: a DNS client that reads
 * answers. Every PERIOD_MS it sends one A query to each DNS host (UDP,
 * dns-packet), cycling over the record sets, and prints one JSON line per
 * query: `{"t":sentMs,"h":host,"s":set,"a":[target…]|null,"rc":rcode}`
 * (`a` null: no reply within TIMEOUT_MS, a lost query). Bounded: it stops
 * after --duration seconds or when stdin closes.
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { PORTS, SETS, setName, targetOfAddr } from './topology.js';

const PERIOD_MS = 50;
const TIMEOUT_MS = 1000;
const hosts = (process.argv[2] ?? '').split(',').filter((s) => s.length > 0);
const durationMs = Number(process.argv[3] ?? '900') * 1000;

interface Pending {
  t: number;
  h: number;
  s: number;
}
const pending = new Map<number, Pending>();
let nextId = 1;
let round = 0;
const sock = dgram.createSocket('udp4');

function emit(p: Pending, a: number[] | null, rc: string): void {
  process.stdout.write(`${JSON.stringify({ t: p.t, h: p.h, s: p.s, a, rc })}\n`);
}

sock.on('message', (msg) => {
  let reply: dnsPacket.Packet;
  try {
    reply = dnsPacket.decode(msg);
  } catch {
    return;
  }
  const p = reply.id === undefined ? undefined : pending.get(reply.id);
  if (p === undefined) return;
  pending.delete(reply.id as number);
  const a: number[] = [];
  for (const ans of reply.answers ?? []) if (ans.type === 'A') a.push(targetOfAddr(String(ans.data)));
  a.sort((x, y) => x - y);
  emit(p, a, (reply as { rcode?: string }).rcode ?? 'NOERROR');
});

const started = Date.now();
const timer = setInterval(() => {
  const now = Date.now();
  for (const [id, p] of pending) {
    if (now - p.t > TIMEOUT_MS) {
      pending.delete(id);
      emit(p, null, 'TIMEOUT');
    }
  }
  if (now - started > durationMs) stop();
  const s = round++ % SETS;
  hosts.forEach((addr, h) => {
    const id = nextId;
    nextId = nextId === 65535 ? 1 : nextId + 1;
    pending.set(id, { t: now, h, s });
    const q = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: setName(s) }],
    });
    sock.send(q, PORTS.dns, addr);
  });
}, PERIOD_MS);

function stop(): void {
  clearInterval(timer);
  sock.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
