import type { Command } from '../command.js';
import { aggregatorCommand } from './aggregator.js';
import { checkerCommand } from './checker.js';
import { demoCommand } from './demo.js';
import { dnsCommand } from './dns.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';
import { statusCommand } from './status.js';
import { explainCommand } from './explain.js';

/**
 * Every `urnd` command, in the order `urnd --help` lists them. A new
 * command is one file in this folder plus one line here.
 */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  checkerCommand,
  aggregatorCommand,
  dnsCommand,
  demoCommand,
  validateCommand,
  reportCommand,
  statusCommand,
  explainCommand,
] as readonly Command[];
