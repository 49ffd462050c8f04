// Browser stand-ins for Node's Readable and Writable, for the page's bundle only
// (vite.config.ts aliases node:stream here). memfs defines its ReadStream and WriteStream by
// extending them, so the classes must exist for memfs to load; the engine never uses file
// streams (it reads and writes through the Platform's FileSystem), so using one fails loudly.

import { EventEmitter } from './events.ts';

class UnavailableStream extends EventEmitter {
  constructor(..._options: unknown[]) {
    super();
  }

  protected unavailable(): never {
    throw new Error('file streams are not available in the browser build of mtalab');
  }
}

export class Readable extends UnavailableStream {
  read(): never {
    return this.unavailable();
  }

  pipe(): never {
    return this.unavailable();
  }
}

export class Writable extends UnavailableStream {
  write(): never {
    return this.unavailable();
  }

  end(): never {
    return this.unavailable();
  }
}

export default { Readable, Writable };
