// The table of commands the terminal shell runs itself: bash builtins (cd, export,
// history, ...) and the unix basics a Postfix administrator reaches for (cat, ls, grep,
// ..., cut, sort, uniq, tr, chmod, chown, ln, df, id, ps, mail, su), and for a host of a simulated World: telnet, nc, dig, host, ping, ip,
// tail -f. Admin commands (postconf, postmap, ...) are not here: they come from
// engine/admin/index.ts. Called by engine/shell/execute.ts and the Tab completer.

import { cat, cp, mkdir, mv, rm, touch } from './files.ts';
import { chmod } from './chmod.ts';
import { cut } from './cut.ts';
import { df } from './df.ts';
import { ln } from './links.ts';
import { chown, id } from './owners.ts';
import { ps } from './ps.ts';
import { sort } from './sort.ts';
import { tr } from './tr.ts';
import { uniq } from './uniq.ts';
import { ls } from './ls.ts';
import { mail } from './mail.ts';
import { printf } from './printf.ts';
import { login, su } from './su.ts';
import {
  cd, clear, date, echo, env, exit, exportBuiltin, falseBuiltin, help, history, pwd,
  trueBuiltin, unset, which, whoami,
} from './session.ts';
import { grep, head, wc } from './text.ts';
import { dig, host } from './dns.ts';
import { nc, telnet } from './net.ts';
import { hostname as hostnameWithAddresses, ip, ping } from './net-info.ts';
import { tail as tailWithFollow } from './tail-follow.ts';
import type { Builtin } from './types.ts';

export const builtins: Record<string, Builtin> = {
  cat, cd, clear, cp, date, echo, env, exit, export: exportBuiltin, false: falseBuiltin, grep, head,
  help, history, login, ls, mail, mailx: mail, mkdir, mv, printf, pwd, rm, su, touch,
  true: trueBuiltin, unset, wc, which, whoami,
  dig, host, nc, telnet,
  hostname: hostnameWithAddresses, ip, ping,
  tail: tailWithFollow,
  cut, sort, tr, uniq,
  chmod, chown, df, id, ln, ps,
};

export function lookupBuiltin(name: string): Builtin | undefined {
  return Object.hasOwn(builtins, name) ? builtins[name] : undefined;
}

export type { Builtin, BuiltinContext, ShellSession } from './types.ts';
