// The world's terminals: one interactive shell (engine/shell) per host that a user opens,
// and the input log that makes typing part of what a replay replays (engine/sim/replay.ts).
// Every open, keystroke batch and resize is fed at a definite point -- after N scheduler
// events since boot, with the clock at T -- and recorded as { host, kind, data, position,
// atMs }. A replay of the same scenario feeds the same entries at the same points
// (feed(entry)), so the twin and the rebuilt world run the same commands at the same
// virtual times and give the same trace, queue and mailboxes, byte for byte. The output
// each shell wrote since it opened is kept (bounded), so that after a step back the page
// can redraw each terminal from the replayed shell's own output.
// Called by engine/sim/world.ts (which serialises every feed with the world's runs) and,
// through World.terminals, by the UI's engine worker and tests. Trusts the scenario; what is
// typed is untrusted and bounded by the shell.

import { createShell, type Shell } from '../shell/index.ts';
import type { Host } from '../global/host.ts';
import type { Scheduler } from '../platform/sim/index.ts';

/** Entries one world's input log may hold; typing past it is refused with an error. */
export const TERMINAL_INPUTS_MAX = 200_000;
/** Characters of output kept per terminal for a redraw; older output is dropped by lines. */
export const TERMINAL_TRANSCRIPT_CHARACTERS_MAX = 512 * 1024;
/** Columns and rows of a terminal opened without a size. */
const DEFAULT_SIZE = { columns: 80, rows: 24 } as const;

export type TerminalInputKind = 'open' | 'keys' | 'resize';

/** One logged input: what was fed to which host's terminal, and exactly when. */
export interface TerminalInput {
  host: string;
  kind: TerminalInputKind;
  /** 'keys': the raw terminal input (keystrokes, escape sequences, pasted text). */
  data?: string;
  /** 'open' and 'resize': the terminal's size in character cells. */
  columns?: number;
  rows?: number;
  /** Scheduler events fired since the world booted when the input was fed. */
  position: number;
  /** The world's virtual time when the input was fed. */
  atMs: number;
}

export type TerminalListener = (host: string, data: string) => void;

export interface WorldTerminals {
  /** Opens host's terminal (its shell prints the first prompt); does nothing when open. */
  open(host: string, size?: { columns: number; rows: number }): Promise<void>;
  /** Feeds raw input to host's terminal, opening it first if needed. */
  input(host: string, data: string): Promise<void>;
  /** Resizes an open terminal (nothing is logged when the size is the same). */
  resize(host: string, columns: number, rows: number): Promise<void>;
  /** Feeds a logged entry of another run of the same world, at the point it names; throws
   *  when this world is not at that point (a replay that diverged). */
  feed(entry: TerminalInput): Promise<void>;
  isOpen(host: string): boolean;
  /** The hosts whose terminal is open, in the order they were opened. */
  openHosts(): string[];
  /** What host's shell has written since it opened (the tail, when it is long). */
  transcript(host: string): string;
  /** Streams every terminal's output; returns the unsubscribe function. */
  subscribe(listener: TerminalListener): () => void;
  /** Settles when host's shell waits for typing with nothing queued (tests). */
  idle(host: string): Promise<void>;
  /** Every input fed so far, in order. */
  readonly log: readonly TerminalInput[];
}

/** What the terminals need from their world. */
export interface TerminalWorld {
  scheduler: Scheduler;
  /** The host by name, and whether it has Postfix, and what its boot printed if it failed. */
  host(name: string): { host: Host; mta: boolean; bootFailure?: string } | undefined;
  /** Scheduler events fired since boot. */
  position(): number;
  /** Runs body when no step/run of the world is in progress (World's one-at-a-time lock). */
  exclusive<T>(body: () => Promise<T>): Promise<T>;
}

interface OpenTerminal {
  shell: Shell;
  transcript: string;
  columns: number;
  rows: number;
}

export function createWorldTerminals(world: TerminalWorld): WorldTerminals {
  const terminals = new Map<string, OpenTerminal>();
  const listeners = new Set<TerminalListener>();
  const log: TerminalInput[] = [];
  const scheduler = world.scheduler;

  const write = (host: string, terminal: OpenTerminal, data: string): void => {
    if (data.length === 0) return;
    terminal.transcript = trimTranscript(terminal.transcript + data);
    for (const listener of listeners) listener(host, data);
  };

  const known = (host: string) => {
    const entry = world.host(host);
    if (entry === undefined) throw new Error(`no host ${host} in this world`);
    return entry;
  };

  /** Applies an entry to the shells (no log, no lock). */
  const apply = (entry: TerminalInput): void => {
    const existing = terminals.get(entry.host);
    if (entry.kind === 'open') {
      if (existing !== undefined) return;
      const { host, mta, bootFailure } = known(entry.host);
      const terminal: OpenTerminal = {
        shell: undefined as unknown as Shell, transcript: '',
        columns: entry.columns ?? DEFAULT_SIZE.columns, rows: entry.rows ?? DEFAULT_SIZE.rows,
      };
      terminal.shell = createShell({
        host, mta, columns: terminal.columns, rows: terminal.rows,
        write: (data) => write(entry.host, terminal, data),
      });
      terminals.set(entry.host, terminal);
      if (bootFailure !== undefined) write(entry.host, terminal, bootFailure.replace(/\r?\n/g, '\r\n'));
      terminal.shell.start();
      return;
    }
    if (existing === undefined) throw new Error(`the terminal of ${entry.host} is not open`);
    if (entry.kind === 'keys') {
      existing.shell.input(entry.data ?? '');
      return;
    }
    existing.columns = entry.columns ?? DEFAULT_SIZE.columns;
    existing.rows = entry.rows ?? DEFAULT_SIZE.rows;
    existing.shell.resize(existing.columns, existing.rows);
  };

  /** Logs and applies one input at this point, then lets the work it starts settle. */
  const record = (entry: Omit<TerminalInput, 'position' | 'atMs'>): Promise<void> => world.exclusive(async () => {
    if (log.length >= TERMINAL_INPUTS_MAX) throw new Error(`more than ${TERMINAL_INPUTS_MAX} terminal inputs in one world`);
    const logged: TerminalInput = { ...entry, position: world.position(), atMs: scheduler.nowMs() };
    apply(logged);
    log.push(logged);
    await settle(scheduler);
  });

  const terminalsApi: WorldTerminals = {
    log,
    async open(host, size) {
      known(host);
      if (terminals.has(host)) return;
      const { columns, rows } = size ?? DEFAULT_SIZE;
      await record({ host, kind: 'open', columns, rows });
    },
    async input(host, data) {
      if (!terminals.has(host)) await terminalsApi.open(host);
      await record({ host, kind: 'keys', data });
    },
    async resize(host, columns, rows) {
      const terminal = terminals.get(host);
      if (terminal === undefined || (terminal.columns === columns && terminal.rows === rows)) return;
      await record({ host, kind: 'resize', columns, rows });
    },
    feed: (entry) => world.exclusive(async () => {
      const here = world.position();
      if (entry.position !== here) {
        throw new Error(`replay diverged: ${entry.kind} on ${entry.host} was fed after ${entry.position} events, this world is at ${here}`);
      }
      if (scheduler.nowMs() < entry.atMs) await scheduler.runUntil(entry.atMs, { eventsMax: 0 });
      if (scheduler.nowMs() !== entry.atMs || world.position() !== here) {
        throw new Error(`replay diverged: ${entry.kind} on ${entry.host} was fed at ${entry.atMs} ms, this world is at ${scheduler.nowMs()} ms`);
      }
      if (log.length >= TERMINAL_INPUTS_MAX) throw new Error(`more than ${TERMINAL_INPUTS_MAX} terminal inputs in one world`);
      apply(entry);
      log.push({ ...entry });
      await settle(scheduler);
    }),
    isOpen: (host) => terminals.has(host),
    openHosts: () => [...terminals.keys()],
    transcript: (host) => terminals.get(host)?.transcript ?? '',
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    idle: async (host) => { await terminals.get(host)?.shell.idle(); },
  };
  return terminalsApi;
}

/** One settle turn of the scheduler without firing an event: the promise chains an input
 *  started run until they wait on the world (a timer, the network), as after an event. */
async function settle(scheduler: Scheduler): Promise<void> {
  await scheduler.run({ eventsMax: 0 });
}

/** Keeps the last TERMINAL_TRANSCRIPT_CHARACTERS_MAX characters, cut at a line start. */
function trimTranscript(text: string): string {
  if (text.length <= TERMINAL_TRANSCRIPT_CHARACTERS_MAX) return text;
  const tail = text.slice(text.length - TERMINAL_TRANSCRIPT_CHARACTERS_MAX);
  const lineStart = tail.indexOf('\n');
  return lineStart < 0 ? tail : tail.slice(lineStart + 1);
}
