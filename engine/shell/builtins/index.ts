// The table of commands the terminal shell runs itself: bash builtins (cd, export,
// history, ...) and the unix basics a Postfix administrator reaches for (cat, ls, grep,
// ..., mail, su). Admin commands (postconf, postmap, ...) are not here: they come from
// engine/admin/index.ts. Called by engine/shell/execute.ts and the Tab completer.

import { cat, cp, mkdir, mv, rm, touch } from './files.ts';
import { ls } from './ls.ts';
import { mail } from './mail.ts';
import { printf } from './printf.ts';
import { login, su } from './su.ts';
import {
  cd, clear, date, echo, env, exit, exportBuiltin, falseBuiltin, help, history, hostname, pwd,
  trueBuiltin, unset, which, whoami,
} from './session.ts';
import { grep, head, tail, wc } from './text.ts';
import type { Builtin } from './types.ts';

export const builtins: Record<string, Builtin> = {
  cat, cd, clear, cp, date, echo, env, exit, export: exportBuiltin, false: falseBuiltin, grep, head,
  help, history, hostname, login, ls, mail, mailx: mail, mkdir, mv, printf, pwd, rm, su, tail, touch,
  true: trueBuiltin, unset, wc, which, whoami,
};

export function lookupBuiltin(name: string): Builtin | undefined {
  return Object.hasOwn(builtins, name) ? builtins[name] : undefined;
}

export type { Builtin, BuiltinContext, ShellSession } from './types.ts';
