import type { Endpoint, Plan } from '../config/plan.js';
import { DnsFront } from './dns-front.js';
import type { InheritedSockets } from './resolver-messages.js';
import { StatusTable } from '../table/status-table.js';
import type { AppliedConfig } from '../config/loop.js';
import { StatusIntake } from '../roles/receivers.js';

/**
 * The plan as one DNS process serves it: `dns.workers` counts DNS processes
 * (each with one resolver thread), so the DnsFront of each sees 1.
 */
export function singleResolverThread(plan: Plan): Plan {
  return plan.dns.workers === 1 ? plan : { ...plan, dns: { ...plan.dns, workers: 1 } };
}

/**
 * The serving part of one DNS process: a StatusTable fed only by status
 * frames (StatusIntake) and a DnsFront answering from it. It never computes
 * a status: before its first frame every slot is unknown, so with
 * `holdUntilTable` (as `urnd dns` starts it) it answers SERVFAIL until that
 * frame, never a target the cell knows is down; without it an answer with a
 * check counts healthy (as Route 53 treats a check with no data yet). After
 * its last frame it keeps answering from the last good table.
 */
export class DnsNode {
  readonly intake: StatusIntake;
  readonly front: DnsFront;

  private constructor(intake: StatusIntake, front: DnsFront) {
    this.intake = intake;
    this.front = front;
  }

  /** A fresh StatusTable (every slot unknown) and the intake that applies frames to it. */
  static intake(config: AppliedConfig): StatusIntake {
    return new StatusIntake(StatusTable.create(config.plan.cell.capacity), config.plan, config.key);
  }

  /**
   * Binds the DNS sockets and answers from `options.intake`'s table (or a
   * fresh one). Rejects with URND_ERR_DNS_LISTEN naming the address if it
   * cannot bind.
   */
  static async start(
    config: AppliedConfig,
    options: {
      listen?: Endpoint;
      log: (line: string) => void;
      intake?: StatusIntake;
      inherited?: InheritedSockets;
      reusePort?: boolean;
      holdUntilTable?: boolean;
      onThreadLost?: (code: number) => void;
    },
  ): Promise<DnsNode> {
    const intake = options.intake ?? DnsNode.intake(config);
    const front = await DnsFront.start(singleResolverThread(config.plan), intake.table, {
      log: options.log,
      ...(options.listen === undefined ? {} : { listen: options.listen }),
      ...(options.inherited === undefined ? {} : { inherited: options.inherited }),
      ...(options.reusePort === true ? { reusePort: true } : {}),
      ...(options.holdUntilTable === true ? { holdUntilTable: true } : {}),
      ...(options.onThreadLost === undefined ? {} : { onThreadLost: options.onThreadLost }),
    });
    return new DnsNode(intake, front);
  }

  /** A config pass: records from the new plan, and the key and tick for frames. */
  apply(config: AppliedConfig): void {
    this.intake.apply(config.plan, config.key);
    this.front.setPlan(singleResolverThread(config.plan));
  }

  async stop(): Promise<void> {
    await this.front.stop();
  }
}
