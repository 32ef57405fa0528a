import { describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { findUdpSocket, procLocalAddress, readUdpSocketCounters } from '../src/serving/proc-net-udp.js';

/**
 * The kernel's drop counter of our own UDP socket, found by its local
 * address in /proc/net/udp(6): the address encoding for both byte orders,
 * and a real socket whose full receive buffer makes the kernel drop.
 */
describe('kernel drops from /proc/net/udp', () => {
  it('encodes local addresses as the kernel prints them', () => {
    expect(procLocalAddress('127.0.0.1', 53, true)).toBe('0100007F:0035');
    expect(procLocalAddress('127.0.0.1', 53, false)).toBe('7F000001:0035');
    expect(procLocalAddress('0.0.0.0', 5353, true)).toBe('00000000:14E9');
    expect(procLocalAddress('::1', 5353, true)).toBe('000000000000000000000000' + '01000000:14E9');
    expect(procLocalAddress('2001:db8::1', 1, true)).toBe('B80D0120' + '00000000' + '00000000' + '01000000:0001');
    expect(procLocalAddress('localhost', 53)).toBeNull();
  });

  it('reads drops and rx_queue from a row', () => {
    const text = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      ' 1: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0',
      ' 2: 0100007F:14E9 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 3 2 0000000000000000 1234',
    ].join('\n');
    expect(findUdpSocket(text, '127.0.0.1', 5353, true)).toEqual({ drops: 1234, rxQueueBytes: 0xa00 });
    expect(findUdpSocket(text, '127.0.0.1', 5354, true)).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')('counts what a real socket with a full buffer dropped', async () => {
    const rx = dgram.createSocket({ type: 'udp4', recvBufferSize: 8192 });
    await new Promise<void>((resolve) => rx.bind(0, '127.0.0.1', () => resolve()));
    const port = rx.address().port;
    const before = await readUdpSocketCounters('127.0.0.1', port);
    expect(before).toEqual({ drops: 0, rxQueueBytes: 0 });
    const tx = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => tx.bind(0, '127.0.0.1', () => resolve()));
    // 500 sends in one turn of the loop, 100 KB into a ~16 KB buffer: nothing reads in between.
    const payload = Buffer.alloc(200);
    let sent = 0;
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 500; i++) tx.send(payload, port, '127.0.0.1', () => ++sent === 500 && resolve());
    });
    const after = await readUdpSocketCounters('127.0.0.1', port);
    tx.close();
    rx.close();
    expect(after?.drops).toBeGreaterThan(0);
    expect(after?.drops).toBeLessThanOrEqual(500);
  });
});
