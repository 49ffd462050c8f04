// su and login: switch the terminal's user, so that a student can send mail as bob and
// read it as alice. `su [-] [USER]` (root by default) sets USER, LOGNAME, HOME, SHELL and
// MAIL from the user's /etc/passwd line and, with "-" (or -l, or login), changes to the home
// directory; `exit` returns to the user before. The simulation has no passwords: every
// switch is allowed, as it is for root. Called through engine/shell/builtins/index.ts;
// trusts /etc/passwd through engine/global/passwd.ts. Models util-linux su(1) and login(1)
// loosely; messages are util-linux's.

import { lookupUser } from '../../global/passwd.ts';
import { SPOOL_DIRECTORY } from './mail.ts';
import { type Builtin, type BuiltinContext, type ShellSession } from './types.ts';

/** Nested su shells one terminal keeps; deeper ones are refused. */
export const LOGIN_DEPTH_MAX = 32;

const SWITCHED = ['USER', 'LOGNAME', 'HOME', 'SHELL', 'MAIL', 'PWD', 'OLDPWD'];

export const su: Builtin = async (context) => {
  let login = false;
  let name: string | undefined;
  for (const word of context.argv.slice(1)) {
    if (word === '-' || word === '-l' || word === '--login') login = true;
    else if (word.startsWith('-')) {
      context.stderr.write(`su: invalid option -- '${word.replace(/^-+/, '').charAt(0)}'\nTry 'su --help' for more information.\n`);
      return 1;
    } else name ??= word;
  }
  return switchUser(context, name ?? 'root', login, 'su');
};

export const login: Builtin = async (context) => {
  const name = context.argv[1];
  if (name === undefined) {
    context.stderr.write('login: give the user to log in as: login USER\n');
    return 1;
  }
  return switchUser(context, name, true, 'login');
};

async function switchUser(context: BuiltinContext, name: string, login: boolean, program: string): Promise<number> {
  const shell = context.shell;
  const entry = await lookupUser(context.host.platform.fs, name);
  if (entry === undefined) {
    context.stderr.write(program === 'su'
      ? `su: user ${name} does not exist or the user entry does not contain all the required fields\n`
      : 'Login incorrect\n');
    return 1;
  }
  if (entry.shell.endsWith('/nologin') || entry.shell.endsWith('/false')) {
    context.stdout.write('This account is currently not available.\n');
    return 1;
  }
  if (shell.logins.length >= LOGIN_DEPTH_MAX) {
    context.stderr.write(`${program}: too many nested logins; type exit first\n`);
    return 1;
  }
  shell.logins.push({
    user: shell.variables.get('USER') ?? 'root',
    variables: SWITCHED.map((variable) => [variable, shell.variables.get(variable)]),
    cwd: shell.cwd,
  });
  const settings: Array<[string, string]> = [
    ['USER', entry.name], ['LOGNAME', entry.name], ['HOME', entry.home],
    ['SHELL', entry.shell], ['MAIL', `${SPOOL_DIRECTORY}/${entry.name}`],
  ];
  for (const [variable, value] of settings) {
    shell.variables.set(variable, value);
    shell.exported.add(variable);
  }
  if (login) await changeHome(context, shell, entry.home);
  return 0;
}

async function changeHome(context: BuiltinContext, shell: ShellSession, home: string): Promise<void> {
  try {
    if (!(await context.host.platform.fs.stat(home)).isDirectory) throw new Error('not a directory');
  } catch {
    context.stderr.write(`su: warning: cannot change directory to ${home}: No such file or directory\n`);
    return;
  }
  shell.variables.set('OLDPWD', shell.cwd);
  shell.cwd = home;
  shell.variables.set('PWD', home);
}

/** Leaves the innermost su shell; false when there is none. */
export function leaveLogin(shell: ShellSession): boolean {
  const frame = shell.logins.pop();
  if (frame === undefined) return false;
  for (const [variable, value] of frame.variables) {
    if (value === undefined) shell.variables.delete(variable);
    else shell.variables.set(variable, value);
  }
  shell.cwd = frame.cwd;
  return true;
}
