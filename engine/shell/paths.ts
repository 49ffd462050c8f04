// Path arithmetic and error text for the terminal shell and its file commands: resolving a
// typed path against the working directory, showing the home directory as ~ in the prompt,
// and turning a file-system failure into the strerror(3) text that coreutils prints.
// Called by engine/shell/*. Trusts nothing about the typed path; ".." never climbs above /.

import { describeCode, type PlatformErrorCode } from '../platform/types.ts';

/** Path components kept while normalising; deeper paths are cut (nothing real is this deep). */
export const PATH_COMPONENTS_MAX = 256;

/** Modes of files and directories the shell creates: 0666 and 0777 under umask 022. */
export const FILE_MODE = 0o644;
export const DIRECTORY_MODE = 0o755;

/** An absolute, normalised path for `path` typed in directory `cwd`. */
export function resolvePath(cwd: string, path: string): string {
  const start = path.startsWith('/') ? [] : cwd.split('/');
  const parts: string[] = [];
  for (const part of [...start, ...path.split('/')]) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else if (parts.length < PATH_COMPONENTS_MAX) parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path.startsWith('/') ? '/' : '';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function parentPath(absolutePath: string): string {
  const index = absolutePath.lastIndexOf('/');
  return index <= 0 ? '/' : absolutePath.slice(0, index);
}

/** The working directory as bash's \w shows it: $HOME becomes ~. */
export function promptPath(cwd: string, home: string): string {
  if (home !== '/' && home !== '' && (cwd === home || cwd.startsWith(`${home}/`))) {
    return `~${cwd.slice(home.length)}`;
  }
  return cwd;
}

/** The errno name of a failure from the platform, or EIO when it carries none. */
export function errorCode(error: unknown): PlatformErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && isKnownCode(code) ? code : 'EIO';
}

/** strerror(3) text for a failure, e.g. "No such file or directory". */
export function errorText(error: unknown): string {
  return describeCode(errorCode(error));
}

function isKnownCode(code: string): code is PlatformErrorCode {
  try {
    return describeCode(code as PlatformErrorCode) !== undefined;
  } catch {
    return false;
  }
}
