// Normalising what a mail host leaves behind, so that a real Postfix instance and mtalab
// run on the same submissions can be compared as text: queue ids (numbered by first
// appearance in the side's maillog), pids, times, delays, message-id stamps, Maildir file
// names, the instance directory. Also turns a DSN notice into the fields that matter (its
// prose is mtalab's own by design) and orders a maillog slice per message. Used by
// pipeline-compare.ts and test/interop/pipeline-*.test.ts. Pure text functions.

/** A Postfix queue id in short form (hex) or long form (base 52 + 'z' + ...). */
const SHORT_ID = /\b[0-9A-F]{6,12}\b/g;
const LOG_ID = /^(?:\S+ [ \d]\d \d\d:\d\d:\d\d \S+ )?[^ ]+\[\d+\]: ([0-9A-F]{6,12}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9A-Za-z]+): /;
/** Upper bound on lines of one text normalised. */
export const NORMALISE_LINES_MAX = 100_000;

/** Queue ids by first appearance in maillog lines: id -> Qn. */
export function queueIdNames(maillog: readonly string[], start = new Map<string, string>()): Map<string, string> {
  const names = new Map(start);
  for (const line of maillog.slice(0, NORMALISE_LINES_MAX)) {
    const match = LOG_ID.exec(line);
    if (match?.[1] !== undefined && !names.has(match[1])) names.set(match[1], `Q${names.size + 1}`);
    // "forwarded as ID", "notification: ID": ids named inside the text come next.
    for (const inner of line.matchAll(/(?:forwarded as|notification: |queued as) ?([0-9A-F]{6,12})\b/g)) {
      if (inner[1] !== undefined && !names.has(inner[1])) names.set(inner[1], `Q${names.size + 1}`);
    }
  }
  return names;
}

export interface NormaliseContext {
  /** The side's instance directory, written as @DIR@. */
  directories: readonly string[];
  ids: ReadonlyMap<string, string>;
  /** Replace sizes: the sim's queue ids are shorter than the disk's (inode numbers), and
   *  every copy of the id in Received:/Message-Id: changes the message size. */
  maskSizes?: boolean;
}

/** Replaces directories, known ids, other ids, times, pids and stamps. */
export function normaliseText(text: string, context: NormaliseContext): string {
  let result = text;
  for (const directory of context.directories) result = result.split(directory).join('@DIR@');
  for (const [id, name] of context.ids) result = result.split(id).join(name);
  if (context.maskSizes === true) {
    result = result.replace(/\bsize=\d+/g, 'size=N').replace(/^(message_size: +)\d+( +)\d+/gm, '$1N$2N');
  }
  return result
    // postcat -v: the data offset is the envelope's length, which includes the arrival
    // time record ("%ld %ld", seconds and microseconds), shorter on either side when the
    // microseconds happen to have fewer digits. The envelope is compared record by record
    // all the same.
    .replace(/^(message_size: +\d+ +)\d+/gm, '$1OFFSET')
    // mtalab keeps a deferred message's next attempt time in the file (engine/qmgr/
    // retry-time.ts: no decision from file times) where Postfix sets the file's mtime.
    .replace(/^named_attribute: mtalab_next_attempt_time= *\d+\n/gm, '')
    .replace(SHORT_ID, (id) => (/^\d+$/.test(id) ? id : 'QID'))
    .replace(/<\d{14}\.(Q\d+|QID)@/g, '<STAMP.$1@')
    .replace(/[A-Z][a-z]{2}, +\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}( \([A-Z]+\))?/g, 'DATE')
    .replace(/^From (\S+) +[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm, 'From $1  ASCTIME')
    .replace(/\b[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d( \d{4})?\b/g, 'QTIME')
    .replace(/\bdelay=[\d.]+, delays=[\d./]+/g, 'delay=D')
    .replace(/\[\d+\]/g, '[PID]');
}

/** A maillog line without the syslog prefix "Mon DD HH:MM:SS host ". */
export function stripLogPrefix(line: string): string {
  return line.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ /, '');
}

/** The rank of a maillog line within its message's story. */
function lineRank(line: string): number {
  if (/\/pickup\[/.test(line)) return 0;
  if (/\/cleanup\[/.test(line)) return 1;
  if (/\/postsuper\[/.test(line)) return 2;
  if (/\(queue active\)/.test(line)) return 3;
  if (/\/qmgr\[.*: removed$/.test(line)) return 6;
  if (/\/bounce\[/.test(line)) return 5;
  return 4;
}

/** A maillog slice as per-message lines: only lines that name a queue id, prefix dropped,
 *  normalised, grouped by message in order of first appearance; inside a message, in the
 *  order pickup, cleanup, postsuper, queue active, deliveries (sorted), bounce, removed,
 *  so that concurrent agents' order does not matter. */
export function maillogShapes(lines: readonly string[], context: NormaliseContext): string[] {
  const groups = new Map<string, string[]>();
  for (const line of lines.slice(0, NORMALISE_LINES_MAX)) {
    const match = LOG_ID.exec(line);
    // Warnings name no queue id but tell why something differs: kept in their own group.
    // So do the administrative commands' own lines (postsuper's "Placed on hold: 1 message").
    const command = /\/(postsuper|postqueue|postdrop|sendmail)\[\d+\]: /.test(line);
    if (match?.[1] === undefined && !command && !/: (warning|error|fatal|panic): /.test(line)) continue;
    const key = match?.[1] === undefined ? 'other' : context.ids.get(match[1]) ?? match[1];
    const group = groups.get(key) ?? [];
    // A DSN notice's size depends on its prose, which mtalab words in its own way.
    const text = normaliseText(stripLogPrefix(line), context).replace(/(from=<>, size=)\d+/, '$1DSN');
    group.push(text);
    groups.set(key, group);
  }
  const result: string[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => lineRank(a) - lineRank(b) || (lineRank(a) === 4 || lineRank(a) === 2 ? a.localeCompare(b) : 0));
    result.push(...sorted);
  }
  return result;
}

/** Header fields of a DSN notice and of its delivery-status part kept for comparison. */
const NOTICE_HEADERS = ['Return-Path', 'X-Original-To', 'Delivered-To', 'From', 'To', 'Auto-Submitted', 'MIME-Version'];
const REPORT_FIELDS = ['Reporting-MTA', 'X-Postfix-Queue-ID', 'X-Postfix-Sender', 'Original-Envelope-Id',
  'Final-Recipient', 'Original-Recipient', 'Action', 'Status', 'Remote-MTA', 'Diagnostic-Code'];

function headerValue(block: string, name: string): string[] {
  const unfolded = block.replace(/\n[ \t]+/g, ' ');
  const found: string[] = [];
  for (const line of unfolded.split('\n')) {
    if (line.toLowerCase().startsWith(`${name.toLowerCase()}:`)) found.push(`${name}: ${line.slice(name.length + 1).trim()}`);
  }
  return found;
}

/** A DSN notice (multipart/report) reduced to its From_ line, envelope-ish headers and
 *  the machine-readable report fields; any other message unchanged. */
export function reduceMessage(message: string): string {
  if (!/^Content-Type: multipart\/report/im.test(message)) return message;
  const headerEnd = message.indexOf('\n\n');
  const head = headerEnd < 0 ? message : message.slice(0, headerEnd);
  const lines: string[] = ['[DSN notice reduced to its fields]'];
  const fromLine = head.split('\n')[0] ?? '';
  if (fromLine.startsWith('From ')) lines.push(fromLine);
  for (const name of NOTICE_HEADERS) lines.push(...headerValue(head, name));
  const report = /Content-Type: message\/delivery-status[^\n]*\n(?:[^\n]+\n)*\n([\s\S]*?)\n--/i.exec(message);
  if (report?.[1] === undefined) lines.push('(no message/delivery-status part)');
  else for (const name of REPORT_FIELDS) lines.push(...headerValue(report[1], name));
  const original = /Content-Type: (message\/rfc822|text\/rfc822-headers)/i.exec(message);
  lines.push(`returned: ${original?.[1] ?? 'nothing'}`);
  return lines.join('\n');
}

/** An mbox split into messages at "From " lines that follow an empty line (or start). */
export function splitMbox(text: string): string[] {
  const messages: string[] = [];
  let current: string[] = [];
  let previousEmpty = true;
  for (const line of text.split('\n').slice(0, NORMALISE_LINES_MAX)) {
    if (line.startsWith('From ') && previousEmpty && current.length > 0) {
      messages.push(current.join('\n'));
      current = [];
    }
    current.push(line);
    previousEmpty = line === '';
  }
  if (current.length > 0 && current.join('\n') !== '') messages.push(current.join('\n'));
  return messages;
}

/** A postqueue -p / mailq listing: ids (of any length) and arrival times replaced, so the
 *  columns no longer depend on the id's length or the clock. */
export function normaliseListing(text: string, maskSizes = false): string {
  return text.split('\n').map((line) => line
    .replace(/^[0-9A-Za-z]{6,20}([!*]?) +(\d+) [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /,
      (_all, mark: string, size: string) => `QID${mark} ${maskSizes ? 'N' : size} QTIME `))
    .join('\n');
}
