// A browser stand-in for node:url, for the page's bundle only (vite.config.ts aliases it
// here): the WHATWG URL class, which browsers already have, and the file-URL helpers.

export const URL = globalThis.URL;

export function fileURLToPath(url: string | URL): string {
  const parsed = typeof url === 'string' ? new globalThis.URL(url) : url;
  if (parsed.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
  return decodeURIComponent(parsed.pathname);
}

export function pathToFileURL(path: string): URL {
  return new globalThis.URL(`file://${encodeURI(path)}`);
}

export default { URL, fileURLToPath, pathToFileURL };
