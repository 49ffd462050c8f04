// The RFC 822 address-list parser: external-form text (a To: or Cc: header value, a
// sendmail argument) becomes a list of top-level tokens where the tokens of each address
// are gathered into an AddressNode. Like Postfix's parser it works from right to left,
// is permissive (what it does not understand stays in the list), moves comments out of
// addresses, understands "phrase <route-addr>" and named groups ("team: a@x, b@y;"), and
// inserts the commas that are missing between addresses ("a@x b@y" is two addresses).
// Called by header-list.ts, cleanup and smtpd (later). Trusts nothing in the text; the
// scanner bounds the token count, and every walk below moves one token per step over a
// list of at most that many tokens. Models tok822_parse_limit() in src/global/tok822_parse.c.

import { scanTokens, type ScanOptions, type Token } from './tokens.ts';

/** A doubly linked list cell: the parser regroups tokens in place, as Postfix's does. */
interface Cell {
  token: Token | 'sentinel';
  prev: Cell | undefined;
  next: Cell | undefined;
  /** The members of an address group made by the parser. */
  members?: Cell[];
}

const isSentinel = (cell: Cell): boolean => cell.token === 'sentinel';
const isOp = (cell: Cell, text: string): boolean =>
  cell.token !== 'sentinel' && cell.token.kind === 'operator' && cell.token.text === text;
const kindOf = (cell: Cell): string => (cell.token === 'sentinel' ? 'sentinel' : cell.token.kind);
const isWord = (cell: Cell): boolean => {
  const kind = kindOf(cell);
  return kind === 'atom' || kind === 'quoted' || kind === 'literal';
};

function insertAfter(left: Cell, cell: Cell): void {
  cell.prev = left;
  cell.next = left.next;
  if (left.next) left.next.prev = cell;
  left.next = cell;
}

function insertBefore(right: Cell, cell: Cell): void {
  cell.next = right;
  cell.prev = right.prev;
  if (right.prev) right.prev.next = cell;
  right.prev = cell;
}

function unlink(cell: Cell): Cell | undefined {
  const before = cell.prev;
  if (before) before.next = cell.next;
  if (cell.next) cell.next.prev = before;
  cell.prev = undefined;
  cell.next = undefined;
  return before;
}

/** Gathers the cells strictly between `left` and `right` into one address group placed
 *  after `left`; with `comma`, a ',' goes between `left` and the group. Returns `left`. */
function group(left: Cell, right: Cell, comma: boolean): Cell {
  if (left === right || left.next === right || left.next === undefined) return left;
  const members: Cell[] = [];
  for (let cell: Cell | undefined = left.next; cell !== undefined && cell !== right; cell = cell.next) members.push(cell);
  const address: Cell = { token: { kind: 'address', tokens: [] }, prev: left, next: right, members };
  left.next = address;
  right.prev = address;
  if (comma) insertAfter(left, { token: { kind: 'operator', text: ',' }, prev: undefined, next: undefined });
  return left;
}

/** The immutable token of a cell; an address group takes its members' tokens. */
function frozenToken(cell: Cell): Token | undefined {
  if (cell.token === 'sentinel') return undefined;
  if (cell.members === undefined) return cell.token;
  const tokens: Token[] = [];
  for (const member of cell.members) {
    const token = frozenToken(member);
    if (token !== undefined) tokens.push(token);
  }
  return { kind: 'address', tokens };
}

/** Converts the linked cells from `first` to the end into immutable tokens. */
function freeze(first: Cell | undefined): Token[] {
  const tokens: Token[] = [];
  for (let cell = first; cell !== undefined; cell = cell.next) {
    const token = frozenToken(cell);
    if (token !== undefined) tokens.push(token);
  }
  return tokens;
}

/** Parses an address list into top-level tokens with AddressNodes (tok822_parse). */
export function parseAddressTokens(text: string, options: ScanOptions = {}): Token[] {
  const scanned = scanTokens(text, options);
  if (scanned.length === 0) return [];
  const head: Cell = { token: 'sentinel', prev: undefined, next: undefined };
  let last = head;
  for (const token of scanned) {
    const cell: Cell = { token, prev: last, next: undefined };
    last.next = cell;
    last = cell;
  }
  const tail: Cell = { token: 'sentinel', prev: last, next: undefined };
  last.next = tail;
  groupAddresses(head, tail);
  return freeze(head.next);
}

/** The right-to-left pass. `wordAllowed` says whether a word may join the address to its
 *  right (false right after a word: two adjacent words are two addresses); `inGroup` is
 *  set once a ';' says that a named group's ':' may follow. */
function groupAddresses(head: Cell, tail: Cell): void {
  let wordAllowed = true;
  let inGroup = false;
  let right: Cell = tail;
  let cell: Cell = tail.prev ?? head;
  while (!isSentinel(cell)) {
    if (kindOf(cell) === 'comment') {
      const before = unlink(cell) ?? head;
      insertBefore(right, cell);
      right = cell;
      cell = before;
      continue;
    }
    if (isOp(cell, ';')) {
      right = group(cell, right, true);
      inGroup = true;
      wordAllowed = true;
    } else if (isOp(cell, ':') && inGroup) {
      cell.token = { kind: 'group-start', text: ':' };
      group(cell, right, false);
      cell = skipLeftUntil(cell, (candidate) => isOp(candidate, ','));
      right = cell;
      continue;
    } else if (isOp(cell, '>')) {
      right = group(cell, right, true);
      ({ cell, right } = gatherRoute(cell, right, head));
      wordAllowed = true;
      continue;
    } else if (isWord(cell)) {
      if (!wordAllowed) right = group(cell, right, true).next ?? right;
      wordAllowed = false;
    } else if (isOp(cell, ',')) {
      right = group(cell, right, false);
      wordAllowed = true;
    } else {
      wordAllowed = true;
    }
    cell = cell.prev ?? head;
  }
  group(cell, right, false);
}

/** Moves left from `cell` until `stop` holds or the start sentinel is reached. */
function skipLeftUntil(cell: Cell, stop: (candidate: Cell) => boolean): Cell {
  let current = cell;
  while (!isSentinel(current) && !stop(current)) current = current.prev ?? current;
  return current;
}

/** Handles "phrase <route-addr>" from its '>': comments inside the brackets move out to
 *  the right, the bracketed tokens become one address, and the phrase before '<' is
 *  skipped up to the previous '>', ';', ',' or ':'. */
function gatherRoute(closing: Cell, rightStart: Cell, head: Cell): { cell: Cell; right: Cell } {
  let right = rightStart;
  let cell = closing;
  while (!isSentinel(cell) && !isOp(cell, '<')) {
    if (kindOf(cell) === 'comment') {
      const before = unlink(cell) ?? head;
      insertBefore(right, cell);
      right = cell;
      cell = before;
      continue;
    }
    cell = cell.prev ?? head;
  }
  group(cell, right, false);
  const boundaries = ['>', ';', ',', ':'];
  cell = skipLeftUntil(cell, (candidate) => boundaries.some((text) => isOp(candidate, text)));
  return { cell, right: cell };
}
