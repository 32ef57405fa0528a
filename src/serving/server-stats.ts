/** The counters of a DnsServer's parts, gathered into one DnsServerStats (plain numbers, cheap to post). */
import type { GuardedResponder } from './guarded-responder.js';
import type { LoopLag } from './loop-lag.js';
import type { DnsServerStats } from './resolver-messages.js';
import type { TcpServer } from './tcp-server.js';
import type { UdpServer } from './udp-server.js';

/** Before start, the parts are null and count zero. */
export function collectStats(
  udp: UdpServer | null,
  tcp: TcpServer | null,
  responder: GuardedResponder,
  lag: LoopLag,
): DnsServerStats {
  return {
    udpReceived: udp?.received ?? 0,
    udpAnswered: udp?.answered ?? 0,
    udpIgnored: udp?.ignored ?? 0,
    udpShed: udp?.shed ?? 0,
    udpSendErrors: udp?.sendErrors ?? 0,
    udpKernelDrops: udp === null ? null : udp.kernelDrops,
    udpRecvQueueBytes: udp === null ? null : udp.recvQueueBytes,
    udpRecvBufferBytes: udp?.recvBufferBytes ?? 0,
    udpAnswerRateQps: udp === null || udp.queueBound.maxQueueMs <= 0 ? null : Math.round(udp.queueBound.rateQps),
    tcpAccepted: tcp?.accepted ?? 0,
    tcpOpen: tcp?.open ?? 0,
    tcpRejected: tcp?.rejected ?? 0,
    tcpQueries: tcp?.queries ?? 0,
    tcpAnswered: tcp?.answered ?? 0,
    tcpIgnored: tcp?.ignored ?? 0,
    tcpPaused: tcp?.paused ?? 0,
    tcpClosedIdle: tcp?.closedIdle ?? 0,
    tcpClosedPartial: tcp?.closedPartial ?? 0,
    tcpClosedBadLength: tcp?.closedBadLength ?? 0,
    tcpClosedSlow: tcp?.closedSlow ?? 0,
    tcpErrors: tcp?.errors ?? 0,
    responderErrors: responder.errors,
    lagMs: lag.lagMs(),
    maxLagMs: lag.maxLagMs,
    responder: { ...responder.inner.counters },
  };
}
