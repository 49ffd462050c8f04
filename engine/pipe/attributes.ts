// The command-line attributes of a pipe(8) service in master.cf: flags=BDFORXhqu.>,
// user=name[:group], directory=, chroot=, eol=, null_sender=, size=, and argv=command...
// (everything after argv= is the command). They are checked as Postfix checks them: a
// missing user= or argv=, an unknown user, group or flag, root privileges or the mail
// system's own uid/gid are fatal for the agent (qmgr then retries later).
// Called by api.ts for each request. Trusts /etc/passwd and /etc/group through
// engine/global/passwd.ts. Models get_service_attr() of src/pipe/pipe.c.

import type { FileSystem } from '../platform/types.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';
import { lookupGroup, lookupUser } from '../global/passwd.ts';

/** The flags=... letters, as whole words (mail_copy() flags and pipe's own). */
export interface PipeFlags {
  blankLine: boolean;          // B
  deliveredTo: boolean;        // D
  fromLine: boolean;           // F
  originalRecipient: boolean;  // O
  returnPath: boolean;         // R
  finalDelivery: boolean;      // X
  dotStuffing: boolean;        // .
  fromQuoting: boolean;        // >
  foldHost: boolean;           // h
  quoteLocal: boolean;         // q
  foldUser: boolean;           // u
}

export interface PipeAttributes {
  command: string[];
  user: string;
  uid: number;
  gid: number;
  flags: PipeFlags;
  directory?: string;
  chroot?: string;
  eol: string;
  nullSender: string;
  /** size=: the largest message accepted, in bytes; 0 means no limit. */
  sizeLimitBytes: number;
}

const FLAG_LETTERS: Record<string, keyof PipeFlags> = {
  B: 'blankLine', D: 'deliveredTo', F: 'fromLine', O: 'originalRecipient', R: 'returnPath', X: 'finalDelivery',
  '.': 'dotStuffing', '>': 'fromQuoting', h: 'foldHost', q: 'quoteLocal', u: 'foldUser',
};

export function noFlags(): PipeFlags {
  return {
    blankLine: false, deliveredTo: false, fromLine: false, originalRecipient: false, returnPath: false, finalDelivery: false,
    dotStuffing: false, fromQuoting: false, foldHost: false, quoteLocal: false, foldUser: false,
  };
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** unescape(): C-style backslash escapes (\n, \t, \r, \\, \ooo octal). */
export function unescape(text: string): string {
  let result = '';
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character !== '\\' || index + 1 >= text.length) { result += character; continue; }
    const next = text[++index]!;
    if (next in SIMPLE_ESCAPES) { result += SIMPLE_ESCAPES[next]; continue; }
    const octal = /^[0-7]{1,3}/.exec(text.slice(index));
    if (octal) {
      result += String.fromCharCode(parseInt(octal[0], 8));
      index += octal[0].length - 1;
      continue;
    }
    result += next;
  }
  return result;
}

/** Equal to attribute "name=" at the start of word, case-insensitively (strncasecmp). */
function valueOf(word: string, name: string): string | undefined {
  return word.slice(0, name.length).toLowerCase() === name ? word.slice(name.length) : undefined;
}

/** master passes "{ text with spaces }" as one argument without its braces (extpar()). */
export function unbrace(word: string): string {
  return word.startsWith('{') && word.endsWith('}') ? word.slice(1, -1).trim() : word;
}

/** off_cvt_string(): decimal digits only, else -1. */
function sizeValue(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : -1;
}

export interface AttributeContext {
  fs: FileSystem;
  config: MainConfig;
  log: Reporter;
}

/** get_service_attr(): the attributes of `words` (master.cf arguments after the options). */
export async function readPipeAttributes(rawWords: readonly string[], context: AttributeContext): Promise<PipeAttributes> {
  const { log } = context;
  const words = rawWords.map(unbrace);
  const flags = noFlags();
  let user: string | undefined;
  let group: string | undefined;
  let command: string[] | undefined;
  const attributes: Partial<PipeAttributes> = { eol: '\n', nullSender: 'MAILER-DAEMON', sizeLimitBytes: 0 };
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    let value: string | undefined;
    if ((value = valueOf(word, 'flags=')) !== undefined) {
      for (const letter of value) {
        const name = FLAG_LETTERS[letter];
        if (name === undefined) log.fatal(`unknown flag: ${letter} (ignored)`);
        else flags[name] = true;
      }
    } else if ((value = valueOf(word, 'user=')) !== undefined) {
      const colon = value.indexOf(':');
      user = colon < 0 ? value : value.slice(0, colon);
      group = colon < 0 || colon === value.length - 1 ? undefined : value.slice(colon + 1);
    } else if ((value = valueOf(word, 'directory=')) !== undefined) {
      attributes.directory = value;
    } else if ((value = valueOf(word, 'chroot=')) !== undefined) {
      attributes.chroot = value;
    } else if ((value = valueOf(word, 'eol=')) !== undefined) {
      attributes.eol = unescape(value);
    } else if ((value = valueOf(word, 'null_sender=')) !== undefined) {
      attributes.nullSender = value;
    } else if ((value = valueOf(word, 'size=')) !== undefined) {
      const size = sizeValue(value);
      if (size < 0) log.fatal(`get_service_attr: bad size= value: ${value}`);
      attributes.sizeLimitBytes = size;
    } else if ((value = valueOf(word, 'argv=')) !== undefined) {
      command = [value, ...words.slice(index + 1)];
      break;
    } else {
      log.fatal(`unknown attribute name: ${word}`);
    }
  }
  if (user === undefined) return log.fatal('missing user= command-line attribute');
  const account = await lookupUser(context.fs, user);
  if (account === undefined) return log.fatal(`get_service_attr: unknown username: ${user}`);
  let gid = account.gid;
  if (group !== undefined) {
    const entry = await lookupGroup(context.fs, group);
    if (entry === undefined) return log.fatal(`get_service_attr: unknown group: ${group}`);
    gid = entry.gid;
  }
  if (command === undefined) return log.fatal('missing argv= command-line attribute');
  await checkPrivileges(account.uid, gid, context);
  return { ...attributes, command, user, uid: account.uid, gid, flags } as PipeAttributes;
}

/** The sanity checks on the rights the command would run with. */
async function checkPrivileges(uid: number, gid: number, context: AttributeContext): Promise<void> {
  const { config, log, fs } = context;
  const mailOwner = config.get('mail_owner') ?? 'postfix';
  const owner = await lookupUser(fs, mailOwner);
  const setgidName = config.get('setgid_group') ?? 'postdrop';
  const setgid = await lookupGroup(fs, setgidName);
  if (uid === 0) log.fatal('user= command-line attribute specifies root privileges');
  if (owner !== undefined && uid === owner.uid) log.fatal(`user= command-line attribute specifies mail system owner ${mailOwner}`);
  if (gid === 0) log.fatal('user= command-line attribute specifies privileged group id 0');
  if (owner !== undefined && gid === owner.gid) {
    log.fatal(`user= command-line attribute specifies mail system owner ${mailOwner} group id ${gid}`);
  }
  if (setgid !== undefined && gid === setgid.gid) {
    log.fatal(`user= command-line attribute specifies mail system ${setgidName} group id ${gid}`);
  }
}
