// Trace kinds of the simulated world itself, not of any Postfix program: a fault the world
// injected (a link going down, a host crashing, a DNS name failing, a disk filling) and what
// a scripted actor did and heard (a client's commands and the replies it got, a remote
// responder's script). Emitted by engine/sim/faults.ts and engine/sim/actors/; no maillog
// line (the maillog writer only renders Postfix's own kinds). Read by the UI's event list,
// graders and tests (test/sim/faults.test.ts, test/sim/actors.test.ts). Models nothing in
// Postfix: it records the lab's interventions next to Postfix's own events.

/** What kind of fault: see engine/sim/faults.ts for each one's effect. */
export type SimFaultKind =
  | 'link-down' | 'link-up' | 'latency' | 'dns' | 'disk' | 'crash' | 'restart';

export type SimTraceDetail =
  /** A fault took effect; `text` says what in words ("link a.example.test - b.example.test
   *  down"); `lost` lists the unsynced files a crash threw away. No log line. */
  | { kind: 'sim.fault'; fault: SimFaultKind; text: string; lost?: string[] }
  /** A scripted actor's step: it connected, sent a line, received a (possibly multi-line)
   *  reply, paused, closed, or saw the connection end or fail. No log line. */
  | { kind: 'sim.actor'; actor: string; role: 'client' | 'responder';
      step: 'connect' | 'send' | 'reply' | 'pause' | 'close' | 'closed' | 'error' | 'listen';
      text: string };
