// A browser stand-in for node:path (POSIX flavour), for the page's bundle only
// (vite.config.ts aliases node:path here). memfs resolves and splits paths with it; the
// simulated hosts use absolute POSIX paths, and the working directory is "/".

export const sep = '/';
export const delimiter = ':';

/** Path components kept while normalising; deeper paths are cut. */
const componentsMax = 4096;

function normalizeParts(path: string, absolute: boolean): string[] {
  const parts: string[] = [];
  for (const part of path.split('/').slice(0, componentsMax)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!absolute) parts.push('..');
    } else {
      parts.push(part);
    }
  }
  return parts;
}

export function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

export function normalize(path: string): string {
  if (path === '') return '.';
  const absolute = isAbsolute(path);
  const joined = normalizeParts(path, absolute).join('/');
  const trailing = path.endsWith('/') && joined !== '' ? '/' : '';
  if (absolute) return `/${joined}${trailing}`;
  return joined === '' ? '.' : `${joined}${trailing}`;
}

export function join(...paths: string[]): string {
  const joined = paths.filter((path) => path !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

export function resolve(...paths: string[]): string {
  let resolved = '';
  for (let index = paths.length - 1; index >= 0 && !isAbsolute(resolved); index -= 1) {
    const path = paths[index] ?? '';
    if (path !== '') resolved = resolved === '' ? path : `${path}/${resolved}`;
  }
  if (!isAbsolute(resolved)) resolved = `/${resolved}`;
  return `/${normalizeParts(resolved, true).join('/')}`;
}

export function relative(from: string, to: string): string {
  const fromParts = normalizeParts(resolve(from), true);
  const toParts = normalizeParts(resolve(to), true);
  let common = 0;
  while (common < fromParts.length && common < toParts.length && fromParts[common] === toParts[common]) common += 1;
  return [...fromParts.slice(common).map(() => '..'), ...toParts.slice(common)].join('/');
}

export function dirname(path: string): string {
  if (path === '') return '.';
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return '.';
  if (slash === 0) return '/';
  return trimmed.slice(0, slash);
}

export function basename(path: string, suffix?: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return suffix !== undefined && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

export function extname(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || base === '..' ? '' : base.slice(dot);
}

const pathFunctions = { sep, delimiter, isAbsolute, normalize, join, resolve, relative, dirname, basename, extname };
export const posix = pathFunctions;
export default { ...pathFunctions, posix };
