// The network basics of a host: `ping HOST` (echo requests timed over the World's links),
// `ip addr` (loopback and the host's simulated addresses) and `hostname -I`. ping sends
// no ICMP (the platform carries TCP only): each probe is a connection attempt to port 0,
// where nothing ever listens, so the refusal comes back after one round trip of the link,
// which is what ping measures; an address nobody owns is "Destination Host Unreachable",
// a link that is down loses the probe. Waits on the platform timers, never a wall clock.
// Called through engine/shell/builtins/index.ts. Models iputils ping, iproute2's
// `ip addr` and net-tools' hostname in their output shapes.

import type { Platform } from '../../platform/types.ts';
import { PlatformError } from '../../platform/types.ts';
import { lookupFailureText, resolveHost } from './net.ts';
import { hostname as plainHostname } from './session.ts';
import { complain, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** Probes a ping sends when -c is not given (the real one runs until Ctrl-C). */
export const PING_COUNT_DEFAULT = 4;
export const PING_COUNT_MAX = 100;
const PING_INTERVAL_MS = 1000;
/** How long a probe waits for its answer before it counts as lost. */
const PING_WAIT_MS = 1000;
/** The port no simulated service can listen on (listen(0) picks an ephemeral one). */
const PROBE_PORT = 0;

/** The simulated addresses of the host, when its platform is a World's (a SimPlatform
 *  carries its network and name); none on another platform. */
export function hostAddresses(platform: Platform): string[] {
  const sim = platform as Platform & { network?: { addressesOf(name: string): string[] }; hostName?: string };
  if (sim.network === undefined || sim.hostName === undefined) return [];
  return sim.network.addressesOf(sim.hostName);
}

/** Waits `ms` on the platform timers; false when Ctrl-C came first. */
function pause(context: BuiltinContext, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = context.host.platform.timers.after(ms, () => resolve(true));
    void context.interrupted?.then(() => { cancel(); resolve(false); });
  });
}

type Probe = { kind: 'reply'; rttMs: number } | { kind: 'unreachable' } | { kind: 'lost' };

async function probe(context: BuiltinContext, address: string): Promise<Probe> {
  const { clock, net } = context.host.platform;
  const start = clock.nowMs();
  try {
    const connection = await net.connect(address, PROBE_PORT, { timeoutMs: PING_WAIT_MS });
    connection.destroy();
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    if (error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') return { kind: 'unreachable' };
    if (error.code !== 'ECONNREFUSED') return { kind: 'lost' };
  }
  return { kind: 'reply', rttMs: clock.nowMs() - start };
}

/** iputils' time=: three significant digits, from microseconds. */
export function pingTime(ms: number): string {
  if (ms >= 100) return String(Math.round(ms));
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export const ping: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'qn4', 'cisW');
  if (options.invalid !== undefined) {
    context.stderr.write(`ping: invalid option -- '${options.invalid}'\n`);
    return 2;
  }
  const target = options.operands[0];
  if (target === undefined) {
    context.stderr.write('ping: usage error: Destination address required\n');
    return 1;
  }
  const countText = options.values.get('c');
  if (countText !== undefined && !/^\d+$/.test(countText)) {
    context.stderr.write(`ping: invalid argument: '${countText}'\n`);
    return 1;
  }
  const count = Math.min(countText === undefined ? PING_COUNT_DEFAULT : Math.max(1, Number(countText)), PING_COUNT_MAX);
  const addresses = await resolveHost(context, target);
  if (addresses instanceof PlatformError) {
    context.stderr.write(`ping: ${target}: ${lookupFailureText(addresses)}\n`);
    return 2;
  }
  const address = addresses[0]!;
  const byName = address !== target;
  const shown = byName ? `${await reverseName(context, address) ?? target} (${address})` : address;
  context.stdout.write(`PING ${target} (${address}) 56(84) bytes of data.\n`);
  const { clock } = context.host.platform;
  const started = clock.nowMs();
  const rtts: number[] = [];
  let sent = 0;
  let errors = 0;
  const local = hostAddresses(context.host.platform)[0] ?? '127.0.0.1';
  for (let sequence = 1; sequence <= count; sequence++) {
    const sentAt = clock.nowMs();
    sent++;
    const outcome = await probe(context, address);
    if (outcome.kind === 'reply') {
      rtts.push(outcome.rttMs);
      context.stdout.write(`64 bytes from ${shown}: icmp_seq=${sequence} ttl=64 time=${pingTime(outcome.rttMs)} ms\n`);
    } else if (outcome.kind === 'unreachable') {
      errors++;
      context.stdout.write(`From ${local} icmp_seq=${sequence} Destination Host Unreachable\n`);
    }
    if (sequence === count) break;
    const waitMs = Math.max(0, sentAt + PING_INTERVAL_MS - clock.nowMs());
    if (!(await pause(context, waitMs))) return 130;
  }
  const elapsed = Math.round(clock.nowMs() - started);
  const loss = Math.round(((sent - rtts.length) / sent) * 100);
  context.stdout.write(`\n--- ${target} ping statistics ---\n`);
  context.stdout.write(`${sent} packets transmitted, ${rtts.length} received, ${errors > 0 ? `+${errors} errors, ` : ''}${loss}% packet loss, time ${elapsed}ms\n`);
  if (rtts.length > 0) {
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = rtts.reduce((sum, value) => sum + value, 0) / rtts.length;
    const mdev = Math.sqrt(rtts.reduce((sum, value) => sum + (value - avg) ** 2, 0) / rtts.length);
    context.stdout.write(`rtt min/avg/max/mdev = ${[min, avg, max, mdev].map((value) => value.toFixed(3)).join('/')} ms\n`);
  }
  return rtts.length > 0 ? 0 : 1;
};

async function reverseName(context: BuiltinContext, address: string): Promise<string | undefined> {
  try {
    const names = await context.host.platform.dns.ptr(address);
    return names[0]?.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/** A stable locally administered MAC for an interface, from its first IPv4 address. */
function macAddress(address: string): string {
  const octets = address.includes('.') ? address.split('.').map(Number) : [0, 0, 0, 1];
  return ['02', '00', ...octets.map((octet) => octet.toString(16).padStart(2, '0'))].join(':');
}

function addressLines(address: string, device: string): string[] {
  if (address.includes(':')) {
    return [`    inet6 ${address}/64 scope global `, '       valid_lft forever preferred_lft forever'];
  }
  const octets = address.split('.');
  const broadcast = [...octets.slice(0, 3), '255'].join('.');
  return [`    inet ${address}/24 brd ${broadcast} scope global ${device}`, '       valid_lft forever preferred_lft forever'];
}

const IP_OBJECTS = ['address', 'addr', 'a'];

export const ip: Builtin = async (context) => {
  const words = context.argv.slice(1).filter((word) => word !== '-c' && word !== '-color');
  const family = words[0] === '-4' ? 'inet' : words[0] === '-6' ? 'inet6' : undefined;
  const [object, action = 'show'] = family === undefined ? words : words.slice(1);
  if (object === undefined) {
    context.stderr.write('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       OBJECT := { address | link | route | ... }\n');
    return 255;
  }
  if (!IP_OBJECTS.includes(object)) {
    context.stderr.write(`Object "${object}" is unknown, try "ip help".\n`);
    return 255;
  }
  if (!['show', 'list', 'lst', 's', 'sh'].includes(action)) return complain(context, 'ip', `the simulated host's addresses cannot be changed ("${action}")`, 255);
  const addresses = hostAddresses(context.host.platform);
  const lines = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  ];
  if (family !== 'inet6') lines.push('    inet 127.0.0.1/8 scope host lo', '       valid_lft forever preferred_lft forever');
  if (family !== 'inet') lines.push('    inet6 ::1/128 scope host ', '       valid_lft forever preferred_lft forever');
  if (addresses.length > 0) {
    const first = addresses.find((address) => address.includes('.')) ?? addresses[0]!;
    lines.push('2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000');
    lines.push(`    link/ether ${macAddress(first)} brd ff:ff:ff:ff:ff:ff`);
    for (const address of addresses) {
      const isSix = address.includes(':');
      if ((family === 'inet' && isSix) || (family === 'inet6' && !isSix)) continue;
      lines.push(...addressLines(address, 'eth0'));
    }
  }
  context.stdout.write(`${lines.join('\n')}\n`);
  return 0;
};

/** hostname -I lists the host's addresses (loopback left out, a space after each, as
 *  net-tools prints them); every other form is the plain hostname builtin. */
export const hostname: Builtin = async (context) => {
  if (context.argv[1] !== '-I' && context.argv[1] !== '--all-ip-addresses') return plainHostname(context);
  const addresses = hostAddresses(context.host.platform);
  context.stdout.write(`${addresses.map((address) => `${address} `).join('')}\n`);
  return 0;
};
