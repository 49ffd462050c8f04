// Just enough MIME structure for cleanup's checks: which lines of the body are headers of a
// multipart part (mime_header_checks), which are the headers of an attached message/rfc822
// (nested_header_checks), and which are body lines (body_checks). Boundaries are tracked
// on a stack bounded by mime_nesting_limit; anything malformed is treated as body text, as
// Postfix's permissive parser does.
// Called by message.ts. Pure; no I/O.
// Models the parts of src/global/mime_state.c that decide a line's class.

/** mime_nesting_limit's default. */
export const MIME_NESTING_MAX = 100;

export interface ContentType {
  type: string;
  subtype: string;
  boundary?: string;
}

/** Parses a Content-Type header value ("multipart/mixed; boundary=xyz"). */
export function parseContentType(value: string): ContentType | undefined {
  const match = /^\s*([^\s;/]+)\s*\/\s*([^\s;]+)/.exec(value);
  if (!match) return undefined;
  const result: ContentType = { type: (match[1] ?? '').toLowerCase(), subtype: (match[2] ?? '').toLowerCase() };
  const boundary = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(value);
  const text = boundary?.[1] ?? boundary?.[2];
  if (text !== undefined && text !== '') result.boundary = text;
  return result;
}

export type LineClass = 'body' | 'mime-header' | 'nested-header';

/** What follows the end of a header block with this content type. */
export interface BlockEnd {
  /** Push this boundary: the block's body is multipart. */
  boundary?: string;
  /** The block's body is an attached message whose headers come next. */
  nestedMessage: boolean;
}

export function blockEnd(contentType: ContentType | undefined): BlockEnd {
  if (contentType === undefined) return { nestedMessage: false };
  if (contentType.type === 'multipart' && contentType.boundary !== undefined) {
    return { boundary: contentType.boundary, nestedMessage: false };
  }
  return { nestedMessage: contentType.type === 'message' && contentType.subtype === 'rfc822' };
}

/** Tracks boundaries while the body is walked. */
export class BoundaryStack {
  private readonly boundaries: string[] = [];

  push(boundary: string): void {
    if (this.boundaries.length < MIME_NESTING_MAX) this.boundaries.push(boundary);
  }

  /** For a line starting with "--": 'open' for a part boundary, 'close' for the closing
   *  one (the stack unwinds to it), undefined for text. */
  match(line: string): 'open' | 'close' | undefined {
    if (!line.startsWith('--')) return undefined;
    for (let depth = this.boundaries.length - 1; depth >= 0; depth--) {
      const boundary = this.boundaries[depth] ?? '';
      const rest = line.slice(2);
      if (!rest.startsWith(boundary)) continue;
      const tail = rest.slice(boundary.length);
      if (tail.startsWith('--')) {
        this.boundaries.length = depth;
        return 'close';
      }
      if (tail.trim() === '') {
        this.boundaries.length = depth + 1;
        return 'open';
      }
    }
    return undefined;
  }
}
