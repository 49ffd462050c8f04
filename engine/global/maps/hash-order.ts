// The order in which `postmap -s hash:NAME` lists a Berkeley DB hash table, so that
// mtalab's dump reads like Postfix's. Berkeley DB hashes each key (with its trailing null
// byte when postalias stored one) with a Fowler/Noll/Vo function, puts it in bucket
// hash & 1 while the table is small (two buckets until a page overflows), and keeps the
// items of a page sorted by key bytes; a cursor walks bucket 0 then bucket 1.
// Verified against Debian's Postfix 3.7.11 (libdb 5.3) for tables up to about 100 short
// entries; larger tables split buckets and their real order differs (the set is the same).
// Called by indexed.ts.

const encoder = new TextEncoder();

/** Berkeley DB's __ham_func5-style hash: multiply by 16777619, then xor each byte. */
export function berkeleyHash(bytes: Uint8Array): number {
  let hash = 0;
  for (let index = 0; index < bytes.length; index++) {
    hash = Math.imul(hash, 16777619) >>> 0;
    hash = (hash ^ (bytes[index] ?? 0)) >>> 0;
  }
  return hash;
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

export function bdbHashOrder(
  entries: Array<[string, string]>, nullTerminated: boolean, plainKeys: ReadonlySet<string> = new Set(),
): Array<[string, string]> {
  const decorated = entries.map((entry) => {
    const text = encoder.encode(entry[0]);
    const stored = nullTerminated && !plainKeys.has(entry[0]) ? Uint8Array.from([...text, 0]) : text;
    return { entry, stored, bucket: berkeleyHash(stored) & 1 };
  });
  decorated.sort((left, right) => left.bucket - right.bucket || compareBytes(left.stored, right.stored));
  return decorated.map((item) => item.entry);
}
