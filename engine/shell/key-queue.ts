// The queue of decoded keys between the terminal and whoever reads it next: the line editor
// at the prompt, or the line discipline feeding a running command's stdin. Typed-ahead and
// pasted keys wait here, so "ls\rpwd\r" pasted at once runs ls, then pwd.
// Called by engine/shell/shell.ts (push, interrupt) and its readers (next). It also tells
// when the shell is idle: a reader is waiting and nothing is queued.

import type { Key } from './keys.ts';

/** Keys held while nobody reads; more typed-ahead input than this is dropped. */
export const QUEUED_KEYS_MAX = 65536;

/** Raised in a reader whose wait was cut short by Ctrl-C. */
export class InterruptedRead extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedRead';
  }
}

interface Waiter {
  resolve(key: Key): void;
  reject(error: Error): void;
}

export class KeyQueue {
  private readonly keys: Key[] = [];
  private waiter: Waiter | undefined;
  private idleListeners: Array<() => void> = [];

  push(keys: readonly Key[]): void {
    for (const key of keys) {
      if (this.waiter !== undefined) {
        const waiter = this.waiter;
        this.waiter = undefined;
        waiter.resolve(key);
      } else if (this.keys.length < QUEUED_KEYS_MAX) {
        this.keys.push(key);
      }
    }
  }

  /** The next key, waiting for one if none is queued. One reader at a time. */
  next(): Promise<Key> {
    const key = this.keys.shift();
    if (key !== undefined) return Promise.resolve(key);
    if (this.waiter !== undefined) return Promise.reject(new Error('KeyQueue: two readers at once'));
    return new Promise<Key>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.notifyIdle();
    });
  }

  /** Ctrl-C while a command runs: the terminal drops typed-ahead input, and a waiting
   *  reader gives up. */
  interrupt(): void {
    this.keys.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(new InterruptedRead());
  }

  /** Takes a typed-ahead Ctrl-C and everything before it; tells whether there was one.
   *  A command that starts after Ctrl-C was typed is still interrupted, as on a tty. */
  takeInterrupt(): boolean {
    const index = this.keys.findIndex((key) => key.kind === 'key' && key.name === 'interrupt');
    if (index < 0) return false;
    this.keys.splice(0, index + 1);
    return true;
  }

  /** Makes a waiting reader give up (InterruptedRead) and keeps what is queued: a command
   *  that also waits on something else (telnet's connection) stops reading the keyboard. */
  cancelWait(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(new InterruptedRead());
  }

  /** Drops what is queued without waking a reader. */
  clear(): void {
    this.keys.length = 0;
  }

  get isIdle(): boolean {
    return this.waiter !== undefined && this.keys.length === 0;
  }

  /** Resolves the next time a reader waits with nothing queued (at once if that is now). */
  whenIdle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => { this.idleListeners.push(resolve); });
  }

  private notifyIdle(): void {
    const listeners = this.idleListeners;
    this.idleListeners = [];
    for (const listener of listeners) listener();
  }
}
