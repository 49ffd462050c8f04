// Shared strings for the world's recorded trace (engine/sim/world.ts). A world keeps every
// trace event for as long as it lives (the UI's event list, message paths, graders, step
// back), and most of an event's strings repeat from message to message: addresses
// ("bob@b.example.test" 9 times per message in two-hosts), SMTP commands and replies
// ("250 2.1.0 Ok"), relays, dsn codes, service names. Each emitter builds its own copy, so
// without this every recorded event holds its own. The recorder hands each event here once,
// before anyone reads it from the world, and the event's string fields (and the strings of
// its string arrays) are replaced by one shared copy of the same text: the values are equal
// strings, so no reader can tell (JSON lines, message paths and the UI see the same text);
// the copies die young instead of being kept and traced by every later collection.
// Models nothing in Postfix. Trusts events to be plain objects of JSON-like values (the
// sink makes each one afresh; a frozen array is left alone).

/** Strings longer than this are kept as they are: long texts (a Received header, a whole
 *  reply) rarely repeat and would only fill the table. */
const INTERNED_LENGTH_MAX = 96;
/** Distinct strings the table holds; it starts again when full (a later copy of a string
 *  then gets a new shared one, which is still equal). */
const INTERNED_STRINGS_MAX = 50_000;
/** Elements of one string array that are looked at (recipients, flags, argv). */
const INTERNED_ARRAY_ELEMENTS_MAX = 64;

export interface StringInterner {
  /** Replaces the event's strings by shared equal ones, in place; returns the event. */
  internEvent<T extends object>(event: T): T;
}

export function createStringInterner(): StringInterner {
  let table = new Map<string, string>();
  const shared = (text: string): string => {
    if (text.length > INTERNED_LENGTH_MAX) return text;
    const known = table.get(text);
    if (known !== undefined) return known;
    if (table.size >= INTERNED_STRINGS_MAX) table = new Map();
    table.set(text, text);
    return text;
  };
  const internArray = (values: unknown[]): void => {
    const count = Math.min(values.length, INTERNED_ARRAY_ELEMENTS_MAX);
    for (let index = 0; index < count; index++) {
      const value = values[index];
      if (typeof value === 'string') values[index] = shared(value);
    }
  };
  return {
    internEvent(event) {
      const record = event as Record<string, unknown>;
      // for...in over a plain object: its own enumerable keys, in order (events have no
      // enumerable inherited keys). Writing an existing key keeps the key order.
      for (const key in record) {
        const value = record[key];
        // (Equal strings compare equal whatever their copy, so the store is unconditional.)
        if (typeof value === 'string') record[key] = shared(value);
        else if (Array.isArray(value) && !Object.isFrozen(value)) internArray(value);
      }
      return event;
    },
  };
}
