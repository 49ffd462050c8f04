// window.__mtalab: a read-only window onto the page for the browser test (test/e2e) and for
// curious students in the developer console. Terminals register a text reader here when
// they mount; nothing in the page depends on the hook.

import type { EngineSession, SessionStatus } from '../state/engine-session.svelte.ts';
import type { WorldStatus } from '../worker/protocol.ts';

export interface MtalabHook {
  /** 'booting' | 'ready' | 'failed'. */
  status(): SessionStatus;
  failure(): string | null;
  hostIds(): string[];
  /** The world's clock and controls as the worker last reported them (a copy). */
  world(): WorldStatus | null;
  /** The host whose terminal the page shows. */
  selectedHostId(): string | null;
  /** The terminal's buffer as text; the first host's when no id is given. */
  terminalText(hostId?: string): string;
}

declare global {
  interface Window {
    __mtalab?: MtalabHook;
  }
}

const textReaders = new Map<string, () => string>();

/** Called by a terminal view when it mounts; returns the function that unregisters it. */
export function registerTerminalText(hostId: string, read: () => string): () => void {
  textReaders.set(hostId, read);
  return () => {
    if (textReaders.get(hostId) === read) textReaders.delete(hostId);
  };
}

export function installTestHook(session: EngineSession): void {
  window.__mtalab = {
    status: () => session.status,
    failure: () => (session.failure === null ? null : `${session.failure.code}: ${session.failure.message}`),
    hostIds: () => session.hosts.map((host) => host.id),
    world: () => (session.timeline.status === null ? null : JSON.parse(JSON.stringify(session.timeline.status)) as WorldStatus),
    selectedHostId: () => session.selectedHostId,
    terminalText(hostId) {
      const id = hostId ?? session.hosts[0]?.id ?? '';
      return textReaders.get(id)?.() ?? '';
    },
  };
}
