// A browser stand-in for Node's EventEmitter, for the page's bundle only (vite.config.ts
// aliases node:events here). memfs's watchers and streams extend it; the simulated hosts
// never listen to them, but the classes must exist for memfs to load.

type Listener = (...args: unknown[]) => void;

/** Listeners per event before a leak is suspected; Node warns, this one just counts. */
const defaultListenersMax = 10;

export class EventEmitter {
  private readonly listenerMap = new Map<string | symbol, Listener[]>();
  private listenersMax = defaultListenersMax;

  on(event: string | symbol, listener: Listener): this {
    this.listenerMap.set(event, [...(this.listenerMap.get(event) ?? []), listener]);
    return this;
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  prependListener(event: string | symbol, listener: Listener): this {
    this.listenerMap.set(event, [listener, ...(this.listenerMap.get(event) ?? [])]);
    return this;
  }

  once(event: string | symbol, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.off(event, wrapper);
      listener.apply(this, args);
    };
    return this.on(event, wrapper);
  }

  off(event: string | symbol, listener: Listener): this {
    const remaining = (this.listenerMap.get(event) ?? []).filter((candidate) => candidate !== listener);
    if (remaining.length > 0) this.listenerMap.set(event, remaining);
    else this.listenerMap.delete(event);
    return this;
  }

  removeListener(event: string | symbol, listener: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.listenerMap.clear();
    else this.listenerMap.delete(event);
    return this;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const current = this.listenerMap.get(event);
    if (current === undefined) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(String(args[0]));
      return false;
    }
    for (const listener of [...current]) listener.apply(this, args);
    return true;
  }

  listeners(event: string | symbol): Listener[] {
    return [...(this.listenerMap.get(event) ?? [])];
  }

  listenerCount(event: string | symbol): number {
    return this.listenerMap.get(event)?.length ?? 0;
  }

  setMaxListeners(count: number): this {
    this.listenersMax = count;
    return this;
  }

  getMaxListeners(): number {
    return this.listenersMax;
  }
}

export default EventEmitter;
