// mail: a small mailx-like reader and sender. Without recipients it opens a mailbox (the
// user's spool file /var/mail/$USER or $MAIL, `-u USER`, `-f FILE`, or a Maildir directory),
// lists the headers ("N  1 bob@example.test  Sun Nov 22 09:26  14/453   subject") and reads
// commands at the "& " prompt: a number prints that message, h headers, d/u delete and
// undelete, n/-, q quits saving, x exits without changes. With recipients it sends: the
// subject from -s (or asked for), the body from stdin up to Ctrl-D or a lone ".", handed to
// sendmail(1) as the user who runs it. Called through engine/shell/builtins/index.ts.
// Trusts nothing typed; every loop is bounded. Models bsd-mailx's everyday commands; the
// texts are our own.

import { BufferedInput } from '../../admin/stdio.ts';
import { lookupUser } from '../../global/passwd.ts';
import { PlatformError } from '../../platform/types.ts';
import { openMailbox, saveMailbox, type Mailbox, type MailMessage } from '../mailbox.ts';
import { errorCode, errorText, resolvePath } from '../paths.ts';
import { complain, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** Commands one reading session takes before it quits as if q were typed. */
export const MAIL_COMMANDS_MAX = 10_000;
/** Lines of a message body typed at the terminal. */
export const MAIL_BODY_LINES_MAX = 100_000;
export const SPOOL_DIRECTORY = '/var/mail';

const USAGE = 'usage: mail [-eH] [-f file | -u user]\n       mail [-s subject] [-c cc] [-b bcc] [-r from] to-addr ...\n';

export const mail: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'eHNfi', 'subcbru');
  if (options.invalid !== undefined) {
    context.stderr.write(`mail: invalid option -- '${options.invalid}'\n${USAGE}`);
    return 1;
  }
  const reading = options.flags.has('f') || options.values.has('u') || options.operands.length === 0;
  if (!reading) return send(context, options.values, options.operands);
  const file = options.flags.has('f') ? options.operands[0] ?? `${context.env.get('HOME') ?? '/'}/mbox` : undefined;
  const path = mailboxPath(context, file, options.values.get('u'));
  let mailbox: Mailbox;
  try {
    await checkReadable(context, path);
    mailbox = await openMailbox(context.host.platform.fs, path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' && !options.flags.has('f')) return noMail(context, path);
    return complain(context, 'mail', `${path}: ${errorText(error)}`);
  }
  if (mailbox.messages.length === 0) return options.flags.has('f') ? emptyFile(context, path) : noMail(context, path);
  if (options.flags.has('e')) return 0;
  const session = new ReadingSession(context, mailbox);
  if (!options.flags.has('N')) session.banner();
  if (options.flags.has('H')) return 0;
  return session.run();
};

function mailboxPath(context: BuiltinContext, file: string | undefined, user: string | undefined): string {
  if (file !== undefined) return resolvePath(context.cwd, file);
  if (user !== undefined) return `${SPOOL_DIRECTORY}/${user}`;
  const fromEnvironment = context.env.get('MAIL');
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  return `${SPOOL_DIRECTORY}/${context.env.get('USER') ?? 'root'}`;
}

/** The simulated processes all run as root; mail checks the mode bits as the user who runs
 *  it would meet them, so that alice cannot read bob's 0600 spool file. */
async function checkReadable(context: BuiltinContext, path: string): Promise<void> {
  const user = context.env.get('USER') ?? 'root';
  if (user === 'root') return;
  const stat = await context.host.platform.fs.stat(path);
  const uid = (await lookupUser(context.host.platform.fs, user))?.uid;
  const allowed = stat.uid === uid ? (stat.mode & 0o400) !== 0 : (stat.mode & 0o004) !== 0;
  if (!allowed) throw new PlatformError('EACCES', 'open', path);
}

function noMail(context: BuiltinContext, path: string): number {
  context.stdout.write(`No mail for ${path.slice(path.lastIndexOf('/') + 1)}\n`);
  return 1;
}

function emptyFile(context: BuiltinContext, path: string): number {
  context.stdout.write(`"${path}": 0 messages\n`);
  return 1;
}

type Letter = 'N' | 'U' | ' ' | '*';

class ReadingSession {
  private current = 1;

  constructor(private readonly context: BuiltinContext, private readonly mailbox: Mailbox) {}

  private get messages(): MailMessage[] {
    return this.mailbox.messages;
  }

  banner(): void {
    const count = this.messages.length;
    const fresh = this.messages.filter((message) => message.status === 'new').length;
    const unread = this.messages.filter((message) => message.status === 'unread').length;
    const parts = [`${count} message${count === 1 ? '' : 's'}`];
    if (fresh > 0) parts.push(`${fresh} new`);
    if (unread > 0) parts.push(`${unread} unread`);
    this.write(`"${this.mailbox.path}": ${parts.join(' ')}\n`);
    const firstNew = this.messages.find((message) => message.status !== 'read');
    this.current = firstNew?.number ?? 1;
    this.headers();
  }

  async run(): Promise<number> {
    const input = this.context.stdin;
    for (let count = 0; count < MAIL_COMMANDS_MAX; count++) {
      if (input.isTty) this.write('& ');
      const line = await input.readLine();
      if (line === null) return this.quit();
      const outcome = await this.command(line.trim());
      if (outcome !== undefined) return outcome;
    }
    return this.quit();
  }

  /** Runs one command; a number is the exit status when the session ends. */
  private async command(line: string): Promise<number | undefined> {
    if (/^\d+$/.test(line)) { this.print([Number(line)]); return undefined; }
    const match = /^(\S*)\s*(.*)$/.exec(line)!;
    const verb = match[1]!;
    const list = match[2]!;
    switch (verb) {
      case '': case 'n': case '+': case 'next': return this.step(1);
      case '-': return this.step(-1);
      case 'p': case 't': case 'print': case 'type': this.print(this.pick(list)); return undefined;
      case 'h': case 'headers': case 'f': case 'from': this.headers(); return undefined;
      case 'd': case 'delete': this.remove(this.pick(list)); return undefined;
      case 'dp': case 'dt': this.remove(this.pick(list)); return this.step(0);
      case 'u': case 'undelete': this.restore(this.pick(list)); return undefined;
      case 'q': case 'quit': return this.quit();
      case 'x': case 'ex': case 'exit': case 'xit': return 0;
      case '?': case 'help': this.help(); return undefined;
      default:
        this.write(`Unknown command: "${verb}"\n`);
        return undefined;
    }
  }

  /** Message numbers from "3", "1-4", "1 3", "*"; the current message when empty. */
  private pick(list: string): number[] {
    if (list === '') return [this.current];
    const picked: number[] = [];
    for (const word of list.split(/[\s,]+/).slice(0, this.messages.length + 1)) {
      if (word === '*') { picked.push(...this.messages.map((message) => message.number)); continue; }
      const range = /^(\d+)(?:-(\d+))?$/.exec(word);
      if (range === null) { this.write(`${word}: Invalid message list\n`); return []; }
      const first = Number(range[1]);
      const last = Math.min(Number(range[2] ?? range[1]), this.messages.length);
      for (let number = first; number <= last; number++) picked.push(number);
      if (first > this.messages.length || first < 1) { this.write(`${first}: Invalid message number\n`); return []; }
    }
    return picked;
  }

  private message(number: number): MailMessage | undefined {
    const message = this.messages[number - 1];
    if (message === undefined) { this.write(`${number}: Invalid message number\n`); return undefined; }
    if (message.deleted) { this.write(`${number}: Inappropriate message\n`); return undefined; }
    return message;
  }

  private print(numbers: number[]): void {
    for (const number of numbers) {
      const message = this.message(number);
      if (message === undefined) continue;
      this.write(`Message ${number}:\n${message.text}`);
      if (!message.text.endsWith('\n')) this.write('\n');
      message.seen = true;
      this.current = number;
    }
  }

  private step(direction: number): number | undefined {
    const live = this.messages.filter((message) => !message.deleted);
    const next = direction >= 0
      ? live.find((message) => message.number > this.current || (direction === 0 && message.number === this.current))
      : [...live].reverse().find((message) => message.number < this.current);
    if (next === undefined) { this.write(direction < 0 ? 'Referencing before 1\n' : 'At EOF\n'); return undefined; }
    this.print([next.number]);
    return undefined;
  }

  private remove(numbers: number[]): void {
    for (const number of numbers) {
      const message = this.message(number);
      if (message !== undefined) message.deleted = true;
    }
    const after = this.messages.find((message) => !message.deleted && message.number > this.current)
      ?? this.messages.find((message) => !message.deleted);
    if (after !== undefined) this.current = after.number;
  }

  private restore(numbers: number[]): void {
    for (const number of numbers) {
      const message = this.messages[number - 1];
      if (message === undefined) { this.write(`${number}: Invalid message number\n`); continue; }
      message.deleted = false;
    }
  }

  private headers(): void {
    const columns = this.context.shell.columns();
    for (const message of this.messages) {
      if (message.deleted) continue;
      this.write(`${headerLine(message, message.number === this.current, columns)}\n`);
    }
  }

  private async quit(): Promise<number> {
    try {
      const saved = await saveMailbox(this.context.host.platform.fs, this.mailbox);
      if (saved.kept > 0) this.write(`Held ${saved.kept} message${saved.kept === 1 ? '' : 's'} in ${this.mailbox.path}\n`);
      if (saved.arrived > 0) this.write('New mail has arrived.\n');
      return 0;
    } catch (error) {
      return complain(this.context, 'mail', `${this.mailbox.path}: ${errorText(error)}`);
    }
  }

  private help(): void {
    this.write([
      'Commands (a list is "3", "1-4", "2 5" or "*"; without one, the current message):',
      '  N          print message N            n, Enter   print the next message',
      '  p [list]   print messages             -          print the previous message',
      '  h          list the headers           d [list]   delete messages',
      '  u [list]   undelete messages          q          quit, saving the changes',
      '  x          exit, leaving the mailbox as it was',
      '',
    ].join('\n'));
  }

  private write(text: string): void {
    this.context.stdout.write(text);
  }
}

/** ">N  1 bob@example.test      Sun Nov 22 09:26  14/453   subject" */
export function headerLine(message: MailMessage, current: boolean, columns: number): string {
  const letter: Letter = message.seen ? ' ' : message.status === 'new' ? 'N' : message.status === 'unread' ? 'U' : ' ';
  const size = `${String(message.lines).padStart(3)}/${String(message.bytes).padEnd(5)}`;
  const line = `${current ? '>' : ' '}${letter}${String(message.number).padStart(3)} `
    + `${message.sender.slice(0, 20).padEnd(20)}  ${message.date.slice(0, 16).padEnd(16)} ${size}`;
  const room = columns - line.length - 2;
  return room > 0 && message.subject !== '' ? `${line}  ${message.subject.slice(0, room)}` : line;
}

/** mail -s SUBJECT rcpt...: builds the header and body and runs sendmail as the user. */
async function send(context: BuiltinContext, values: Map<string, string>, recipients: string[]): Promise<number> {
  const interactive = context.stdin.isTty;
  let subject = values.get('s');
  if (subject === undefined && interactive) {
    context.stdout.write('Subject: ');
    subject = (await context.stdin.readLine()) ?? '';
  }
  const body = interactive ? await typedBody(context) : new TextDecoder().decode(await context.stdin.readAll());
  if (body === '' && interactive) context.stdout.write("Null message body; hope that's ok\n");
  const header = [`To: ${recipients.join(', ')}`];
  const copies = values.get('c');
  if (copies !== undefined) header.push(`Cc: ${copies}`);
  if (subject !== undefined && subject !== '') header.push(`Subject: ${subject}`);
  const envelope = [...recipients, ...splitList(copies), ...splitList(values.get('b'))];
  const sender = values.get('r');
  const argv = ['sendmail', '-oi', ...(sender === undefined ? [] : ['-f', sender]), ...envelope];
  const status = await context.runProgram({
    ...context, argv, stdin: new BufferedInput(`${header.join('\n')}\n\n${body}`),
  });
  if (status === undefined) return complain(context, 'mail', 'cannot send: there is no sendmail on this host');
  return status;
}

function splitList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/[\s,]+/).filter((word) => word !== '');
}

/** The body typed at the terminal: up to Ctrl-D or a line with a single ".". */
async function typedBody(context: BuiltinContext): Promise<string> {
  const lines: string[] = [];
  for (let count = 0; count < MAIL_BODY_LINES_MAX; count++) {
    const line = await context.stdin.readLine();
    if (line === null || line === '.') break;
    lines.push(`${line}\n`);
  }
  context.stdout.write('EOT\n');
  return lines.join('');
}
