// A browser stand-in for Node's process object, for the page's bundle only (vite.config.ts
// aliases "process" here). memfs asks it for the working directory (relative paths) and for
// a way to warn; the simulated hosts always pass absolute paths.

export const platform = 'linux';
export const env: Record<string, string> = {};
export const argv: string[] = [];
export const versions: Record<string, string> = {};

export function cwd(): string {
  return '/';
}

export function emitWarning(message: string, type?: string): void {
  console.warn(`${type === undefined ? '' : `${type}: `}${message}`);
}

export function nextTick(callback: (...args: unknown[]) => void, ...args: unknown[]): void {
  queueMicrotask(() => callback(...args));
}

export default { platform, env, argv, versions, cwd, emitWarning, nextTick };
