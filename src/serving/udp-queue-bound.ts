/**
 * The UDP receive queue bounded in time, not bytes: the socket's receive
 * buffer is sized so that a full queue holds `maxQueueMs` of queries at the
 * rate this thread answers when it is saturated. A query that would wait
 * longer is dropped by the kernel on arrival (counted in /proc/net/udp)
 * rather than answered late: under overload, the answered ones stay fast and
 * the client retries the dropped ones sooner than it would get a stale answer.
 *
 * The answer rate is measured, once a kernel sample, as answers per second
 * of *busy* event-loop time (answered ÷ (window × event-loop utilization)):
 * what this thread could do flat out, whether or not it was flat out. Not
 * answers per wall second under overload: a closed-loop client whose
 * dropped queries hold its slots until they time out sends in bursts, the
 * thread idles between them, and a wall-clock rate would shrink the buffer,
 * which would drop more, and so on down. Windows with too few answers or too
 * little busy time to measure keep the last estimate.
 *
 * Kernel accounting: Linux charges each queued datagram its skb truesize
 * (832 bytes for a 40-byte query on loopback on a 6.x kernel; more on many
 * NIC drivers) against twice the requested SO_RCVBUF. A larger real truesize
 * only makes the bound tighter (fewer datagrams fit), never looser.
 */

/** Bytes the kernel charges per small queued datagram, rounded up from 832 measured on loopback. */
export const kBytesPerQueuedDatagram = 1024;

export interface UdpQueueBoundOptions {
  /** The longest a query should wait in the receive queue, ms. */
  readonly maxQueueMs: number;
  /** Answer rate assumed until a saturated window has been measured, q/s. */
  readonly initialRateQps: number;
  /** Smallest and largest SO_RCVBUF requested, bytes. */
  readonly minBytes: number;
  readonly maxBytes: number;
}

export class UdpQueueBound {
  private options: UdpQueueBoundOptions;
  /** This thread's answer rate when saturated, q/s: measured, or the initial guess. */
  rateQps: number;
  /** Windows measured so far. */
  measuredWindows = 0;
  /** The request last returned as worth applying (the initial one at bind). */
  private appliedBytes: number;

  constructor(options: UdpQueueBoundOptions) {
    this.options = options;
    this.rateQps = options.initialRateQps;
    this.appliedBytes = this.requestBytes();
  }

  /** The bound, ms; 0: a fixed buffer of maxBytes. */
  get maxQueueMs(): number {
    return this.options.maxQueueMs;
  }

  /** A new bound (a config pass); true if it changed, and the buffer should be requested again. */
  setMaxQueueMs(ms: number): boolean {
    if (ms === this.options.maxQueueMs) return false;
    this.options = { ...this.options, maxQueueMs: ms };
    this.appliedBytes = this.requestBytes();
    return true;
  }

  /** The SO_RCVBUF to request for the current rate estimate (maxBytes when the bound is 0), bytes. */
  requestBytes(): number {
    const { maxQueueMs, minBytes, maxBytes } = this.options;
    if (maxQueueMs <= 0) return maxBytes;
    // Linux doubles the request and charges truesize against the doubled figure.
    const want = Math.ceil((this.rateQps * maxQueueMs * kBytesPerQueuedDatagram) / 1000 / 2);
    return Math.min(maxBytes, Math.max(minBytes, want));
  }

  /**
   * One sample window: `answered` queries over `windowMs`, during which the
   * event loop was busy `utilization` (0–1) of the time. Returns true if
   * the request moved over a tenth from the one last applied: worth resizing.
   */
  observe(answered: number, windowMs: number, utilization: number): boolean {
    if (this.options.maxQueueMs <= 0) return false;
    if (answered < kMinAnswersToMeasure || windowMs <= 0 || utilization < kMinUtilizationToMeasure) return false;
    const rate = (answered * 1000) / (windowMs * utilization);
    this.measuredWindows += 1;
    // Halfway to the new figure: one odd window (a GC, a neighbour's burst) moves it half as far.
    this.rateQps = (this.rateQps + rate) / 2;
    const want = this.requestBytes();
    if (Math.abs(want - this.appliedBytes) <= this.appliedBytes / 10) return false;
    this.appliedBytes = want;
    return true;
  }
}

/** Below these, a window says more about timer noise than about the answer rate. */
const kMinAnswersToMeasure = 500;
const kMinUtilizationToMeasure = 0.05;
