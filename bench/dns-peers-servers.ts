/**
 * The peer DNS servers the `dns-peers` benchmark runs next to `urnd serve`:
 * PowerDNS Authoritative (bind backend, a LUA `ifportup` record) and gdnsd
 * (`multifo` over a `tcp_connect` service type), each as a foreground child
 * process on a loopback port of its own, with its config in a temporary
 * directory — never a system service, never port 53.
 *
 * Also: finding their binaries, a free loopback port, and a DNS query that
 * reports the reply code as well as the addresses.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ask, LineChild } from './dns-children.js';
import { freePort } from './free-port.js';

export type PeerName = 'pdns' | 'gdnsd';

/** What was found of a peer on this machine. */
export interface PeerInstall {
  readonly name: PeerName;
  /** The server binary, or null when it (or a part it needs) is not installed. */
  readonly bin: string | null;
  readonly version: string | null;
  /** Why it counts as absent, when it does. */
  readonly missing: string | null;
}

const SEARCH_DIRS = [
  ...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0),
  '/usr/sbin',
  '/usr/local/sbin',
  '/sbin',
];

function findBinary(name: string): string | null {
  for (const dir of SEARCH_DIRS) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

function firstExisting(files: readonly string[]): string | null {
  for (const f of files) {
    try {
      accessSync(f, constants.R_OK);
      return f;
    } catch {
      // not here
    }
  }
  return null;
}

function versionOf(bin: string, args: readonly string[], re: RegExp): string | null {
  try {
    const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    return re.exec(`${r.stdout ?? ''}\n${r.stderr ?? ''}`)?.[1] ?? null;
  } catch {
    return null;
  }
}

const BIND_BACKEND_DIRS = [
  '/usr/lib/x86_64-linux-gnu/pdns',
  '/usr/lib/aarch64-linux-gnu/pdns',
  '/usr/lib/pdns',
  '/usr/lib64/pdns',
  '/usr/local/lib/pdns',
];

/** Looks for `pdns_server` (+ the bind backend) and `gdnsd`. Never throws. */
export function detectPeers(): Record<PeerName, PeerInstall> {
  const pdnsBin = findBinary('pdns_server');
  let pdns: PeerInstall;
  if (pdnsBin === null) pdns = { name: 'pdns', bin: null, version: null, missing: 'pdns_server not found' };
  else {
    const backend = firstExisting(BIND_BACKEND_DIRS.map((d) => path.join(d, 'libbindbackend.so')));
    const version = versionOf(pdnsBin, ['--version'], /PowerDNS Authoritative Server ([\w.~+-]+)/);
    pdns =
      backend === null
        ? {
            name: 'pdns',
            bin: null,
            version,
            missing: 'pdns_server is installed but not its bind backend (pdns-backend-bind)',
          }
        : { name: 'pdns', bin: pdnsBin, version, missing: null };
  }
  const gdnsdBin = findBinary('gdnsd');
  const gdnsd: PeerInstall =
    gdnsdBin === null
      ? { name: 'gdnsd', bin: null, version: null, missing: 'gdnsd not found' }
      : // gdnsd has no --version; an unknown option prints its version line.
        {
          name: 'gdnsd',
          bin: gdnsdBin,
          version: versionOf(gdnsdBin, ['-h'], /gdnsd version ([\w.~+-]+)/),
          missing: null,
        };
  return { pdns, gdnsd };
}

/** A running peer. */
export interface PeerServer {
  readonly name: PeerName;
  readonly proc: LineChild;
  readonly port: number;
  /** The config files written, by name → contents (for the report). */
  readonly config: Record<string, string>;
}

/** What the peers are configured to serve. */
export interface PeerSpec {
  readonly zone: string;
  /** Owner name (relative to the zone) of the record under test. */
  readonly label: string;
  readonly targets: readonly string[];
  readonly targetPort: number;
  readonly ttl: number;
}

/**
 * Waits until the server on `port` answers `name` NOERROR with at least one
 * address; rejects if `proc` exits first or after `timeoutMs`.
 */
export async function waitAnswering(proc: LineChild, port: number, name: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}): ${tail(proc.stderr)}`);
    }
    const r = await ask(port, name, 300);
    if (r.rcode === 'NOERROR' && r.addrs.length > 0) return Date.now() - t0;
    await sleep(100);
  }
  throw new Error(`${proc.name}: no answer for ${name} within ${timeoutMs} ms: ${tail(proc.stderr)}`);
}

export function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ').slice(0, 400);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * PowerDNS Authoritative, bind backend, one zone with `LABEL IN LUA A
 * "ifportup(PORT, {…}, {selector='all', backupSelector='all', timeout=1})"`.
 *
 * pdns 4.7 checks every `lua-health-checks-interval` seconds (set to 1, its
 * minimum) and marks an address down on one failed connect: `ifportup` has
 * no `interval` or `minimumFailures` option before 4.9.
 */
export async function startPdns(bin: string, dir: string, spec: PeerSpec): Promise<PeerServer> {
  mkdirSync(path.join(dir, 'sock'), { recursive: true });
  const port = await freePort();
  const list = spec.targets.map((t) => `'${t}'`).join(',');
  const zoneFile = path.join(dir, `${spec.zone}.zone`);
  const zone = [
    `$TTL ${spec.ttl}`,
    `@ IN SOA ns1 hostmaster 1 3600 600 86400 ${spec.ttl}`,
    '@ IN NS ns1',
    'ns1 IN A 127.0.0.1',
    `${spec.label} ${spec.ttl} IN LUA A "ifportup(${spec.targetPort}, {${list}}, {selector='all', backupSelector='all', timeout=1})"`,
    '',
  ].join('\n');
  const named = `options { directory "${dir}"; };\nzone "${spec.zone}" { type master; file "${zoneFile}"; };\n`;
  const args = [
    `--config-dir=${dir}`,
    '--daemon=no',
    '--guardian=no',
    '--disable-syslog',
    '--write-pid=no',
    '--local-address=127.0.0.1',
    `--local-port=${port}`,
    '--launch=bind',
    `--bind-config=${path.join(dir, 'named.conf')}`,
    '--enable-lua-records=yes',
    '--lua-health-checks-interval=1',
    `--socket-dir=${path.join(dir, 'sock')}`,
    '--security-poll-suffix=',
    '--webserver=no',
    '--api=no',
    '--receiver-threads=1',
  ];
  // An empty pdns.conf: nothing from /etc/powerdns is read.
  writeFileSync(path.join(dir, 'pdns.conf'), '');
  writeFileSync(zoneFile, zone);
  writeFileSync(path.join(dir, 'named.conf'), named);
  const proc = new LineChild('pdns_server', bin, args);
  return {
    name: 'pdns',
    proc,
    port,
    config: { 'command line': `pdns_server ${args.join(' ')}`, 'named.conf': named, [`${spec.zone}.zone`]: zone },
  };
}

/**
 * gdnsd 3, `multifo` resource over the targets, monitored by a
 * `tcp_connect` service type: interval 2 s (its minimum: 1 is refused,
 * "Value out of range (2, 3600)"), timeout 1 s, down after 2 failures
 * (`down_thresh 2`, `ok_thresh 1`), up after 1 success (`up_thresh 1`);
 * the resource's `up_thresh 0.1` lets it answer any one healthy address
 * (the default 0.5 would answer all 8 as soon as 5 of 8 were down).
 */
export async function startGdnsd(bin: string, dir: string, spec: PeerSpec): Promise<PeerServer> {
  mkdirSync(path.join(dir, 'zones'), { recursive: true });
  const port = await freePort();
  const config = [
    'options => {',
    `  listen => [ 127.0.0.1:${port} ]`,
    '  udp_threads => 1',
    '  tcp_threads => 1',
    `  run_dir => ${path.join(dir, 'run')}`,
    `  state_dir => ${path.join(dir, 'state')}`,
    '}',
    'service_types => {',
    `  targets => { plugin => tcp_connect, port => ${spec.targetPort}, interval => 2, timeout => 1, up_thresh => 1, ok_thresh => 1, down_thresh => 2 }`,
    '}',
    'plugins => {',
    '  multifo => {',
    `    ${spec.label} => { service_types => targets, up_thresh => 0.1, addrs_v4 => [ ${spec.targets.join(', ')} ] }`,
    '  }',
    '}',
    '',
  ].join('\n');
  const zone = [
    `$TTL ${spec.ttl}`,
    `@ SOA ns1 hostmaster 1 3600 600 86400 ${spec.ttl}`,
    '@ NS ns1',
    'ns1 A 127.0.0.1',
    `${spec.label} ${spec.ttl} DYNA multifo!${spec.label}`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'config'), config);
  writeFileSync(path.join(dir, 'zones', spec.zone), zone);
  const args = ['-c', dir, 'start'];
  const proc = new LineChild('gdnsd', bin, args);
  return {
    name: 'gdnsd',
    proc,
    port,
    config: { 'command line': `gdnsd ${args.join(' ')}`, config, [`zones/${spec.zone}`]: zone },
  };
}
