// Maps the errors that memfs and node:fs/net/dns throw (objects with an errno-style `code`)
// to PlatformError, so that engine code sees one typed error whichever platform it runs on.
// Called by platform/sim and platform/node. Trusts only that a thrown value may carry a
// string `code`; anything unrecognised becomes EIO with the original text kept.

import { PlatformError, type PlatformErrorCode } from '../types.ts';

const knownCodes: ReadonlySet<string> = new Set<PlatformErrorCode>([
  'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EACCES', 'EPERM', 'ENOSPC',
  'EBADF', 'EINVAL', 'EXDEV', 'EMFILE', 'ELOOP', 'ENXIO',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EADDRINUSE', 'EADDRNOTAVAIL',
  'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'NXDOMAIN', 'SERVFAIL', 'NODATA', 'EIO',
]);

/** Errno names that are close enough to one we know to be reported as it. */
const aliases: Readonly<Record<string, PlatformErrorCode>> = {
  ENAMETOOLONG: 'EINVAL',
  EROFS: 'EACCES',
  EDQUOT: 'ENOSPC',
  EFBIG: 'ENOSPC',
  ENFILE: 'EMFILE',
  ERR_STREAM_WRITE_AFTER_END: 'EPIPE',
  ERR_SOCKET_CLOSED: 'EPIPE',
};

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The PlatformErrorCode for a thrown value, or EIO when it has none we know. */
export function platformCodeOf(error: unknown): PlatformErrorCode {
  const code = codeOf(error);
  if (code === undefined) return 'EIO';
  if (knownCodes.has(code)) return code as PlatformErrorCode;
  return aliases[code] ?? 'EIO';
}

/** Wraps a thrown value as PlatformError (a PlatformError passes through unchanged). */
export function toPlatformError(error: unknown, syscall: string, path?: string): PlatformError {
  if (error instanceof PlatformError) return error;
  const code = platformCodeOf(error);
  const known = knownCodes.has(codeOf(error) ?? '') || aliases[codeOf(error) ?? ''] !== undefined;
  const detail = known ? undefined : (error instanceof Error ? error.message : String(error));
  return new PlatformError(code, syscall, path, detail);
}
