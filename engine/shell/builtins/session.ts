// Builtins that act on the shell session rather than on files: cd, pwd, echo, export,
// unset, env, history, hostname, whoami, date, clear, help, which, true, false.
// Called through engine/shell/builtins/index.ts. Trusts the session it is given; error
// messages and exit statuses follow bash and coreutils.

import { errorText, resolvePath } from '../paths.ts';
import { dateText } from '../time-format.ts';
import { leaveLogin } from './su.ts';
import { complain, type Builtin, type BuiltinContext } from './types.ts';

const args = (context: BuiltinContext) => context.argv.slice(1);

export const cd: Builtin = async (context) => {
  const { shell } = context;
  const operand = args(context)[0];
  let target: string;
  if (operand === undefined) {
    target = shell.variables.get('HOME') ?? '/';
  } else if (operand === '-') {
    const previous = shell.variables.get('OLDPWD');
    if (previous === undefined) return complain(context, 'bash: cd', 'OLDPWD not set');
    target = previous;
  } else {
    target = operand;
  }
  if (args(context).length > 1) return complain(context, 'bash: cd', 'too many arguments');
  const path = resolvePath(shell.cwd, target);
  try {
    const stat = await context.host.platform.fs.stat(path);
    if (!stat.isDirectory) return complain(context, 'bash: cd', `${target}: Not a directory`);
  } catch (error) {
    return complain(context, 'bash: cd', `${target}: ${errorText(error)}`);
  }
  shell.variables.set('OLDPWD', shell.cwd);
  shell.variables.set('PWD', path);
  shell.cwd = path;
  if (operand === '-') context.stdout.write(`${path}\n`);
  return 0;
};

export const pwd: Builtin = async (context) => {
  context.stdout.write(`${context.shell.cwd}\n`);
  return 0;
};

/** bash's echo: -n drops the newline, -e interprets backslash escapes, -E does not. */
export const echo: Builtin = async (context) => {
  const words = args(context);
  let newline = true;
  let escapes = false;
  let index = 0;
  for (; index < words.length; index++) {
    const word = words[index]!;
    if (!/^-[neE]+$/.test(word)) break;
    for (const letter of word.slice(1)) {
      if (letter === 'n') newline = false;
      else escapes = letter === 'e';
    }
  }
  let text = words.slice(index).join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) { text = text.slice(0, cut); newline = false; }
    text = interpretEscapes(text);
  }
  context.stdout.write(newline ? `${text}\n` : text);
  return 0;
};

const ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b',
};

export function interpretEscapes(text: string): string {
  return text.replace(/\\(0[0-7]{0,3}|x[0-9A-Fa-f]{1,2}|.)/g, (whole, code: string) => {
    if (code.startsWith('0')) return String.fromCharCode(parseInt(code.slice(1) || '0', 8));
    if (code.startsWith('x') && code.length > 1) return String.fromCharCode(parseInt(code.slice(1), 16));
    return ESCAPES[code] ?? whole;
  });
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const exportBuiltin: Builtin = async (context) => {
  const { shell } = context;
  const words = args(context).filter((word) => word !== '-n' && word !== '-p');
  if (words.length === 0) {
    for (const name of [...shell.exported].sort()) {
      const value = shell.variables.get(name);
      context.stdout.write(value === undefined ? `declare -x ${name}\n` : `declare -x ${name}="${value}"\n`);
    }
    return 0;
  }
  let status = 0;
  for (const word of words) {
    const equals = word.indexOf('=');
    const name = equals < 0 ? word : word.slice(0, equals);
    if (!NAME.test(name)) {
      status = complain(context, 'bash: export', `\`${word}': not a valid identifier`);
      continue;
    }
    if (equals >= 0) shell.variables.set(name, word.slice(equals + 1));
    shell.exported.add(name);
  }
  return status;
};

export const unset: Builtin = async (context) => {
  for (const name of args(context)) {
    if (name.startsWith('-')) continue;
    context.shell.variables.delete(name);
    context.shell.exported.delete(name);
  }
  return 0;
};

/** env with no operands prints the environment (the exported variables). */
export const env: Builtin = async (context) => {
  if (args(context).length > 0) {
    return complain(context, 'env', 'running commands through env is not supported here; type the command itself', 125);
  }
  for (const [name, value] of context.env) context.stdout.write(`${name}=${value}\n`);
  return 0;
};

export const history: Builtin = async (context) => {
  const words = args(context);
  if (words[0] === '-c') { context.shell.history.clear(); return 0; }
  let entries = context.shell.history.entries();
  if (words[0] !== undefined) {
    if (!/^[0-9]+$/.test(words[0])) return complain(context, 'bash: history', `${words[0]}: numeric argument required`);
    entries = entries.slice(Math.max(0, entries.length - Number(words[0])));
  }
  for (const entry of entries) context.stdout.write(`${String(entry.number).padStart(5)}  ${entry.line}\n`);
  return 0;
};

export const hostname: Builtin = async (context) => {
  const name = context.host.name;
  const flag = args(context)[0];
  const dot = name.indexOf('.');
  if (flag === '-s') context.stdout.write(`${dot < 0 ? name : name.slice(0, dot)}\n`);
  else if (flag === '-d') context.stdout.write(`${dot < 0 ? '' : name.slice(dot + 1)}\n`);
  else if (flag === undefined || flag === '-f') context.stdout.write(`${name}\n`);
  else return complain(context, 'hostname', 'changing the host name is not supported here');
  return 0;
};

export const whoami: Builtin = async (context) => {
  context.stdout.write(`${context.shell.variables.get('USER') ?? 'root'}\n`);
  return 0;
};

export const date: Builtin = async (context) => {
  context.stdout.write(`${dateText(context.host.platform.clock.nowMs())}\n`);
  return 0;
};

/** What clear(1) writes for xterm: home, erase screen, erase scrollback. */
export const clear: Builtin = async (context) => {
  context.stdout.write('\x1b[H\x1b[2J\x1b[3J');
  return 0;
};

/** exit leaves a shell started by su; the terminal's own shell belongs to the simulated
 *  host and cannot close, so there exit says so instead of leaving a dead terminal. */
export const exit: Builtin = async (context) => {
  if (leaveLogin(context.shell)) {
    context.stderr.write('exit\n');
    return 0;
  }
  context.stderr.write('exit\nbash: exit: this terminal stays open; the host keeps running\n');
  return 1;
};

export const trueBuiltin: Builtin = async () => 0;
export const falseBuiltin: Builtin = async () => 1;

export const which: Builtin = async (context) => {
  let status = 0;
  const names = new Set(context.shell.commandNames());
  for (const name of args(context)) {
    if (SHELL_ONLY.has(name) || !names.has(name)) { status = 1; continue; }
    context.stdout.write(`${ADMIN_PATHS.has(name) ? '/usr/sbin' : '/usr/bin'}/${name}\n`);
  }
  return status;
};

/** Builtins that exist only inside the shell, with no program file. */
const SHELL_ONLY = new Set(['cd', 'exit', 'export', 'unset', 'history', 'help']);
/** Where Debian installs Postfix's programs. */
export const ADMIN_PATHS = new Set(['postconf', 'postmap', 'postalias', 'newaliases', 'postfix',
  'postqueue', 'postsuper', 'postcat', 'postdrop', 'postkick', 'postlock', 'postlog', 'sendmail',
  'mailq', 'qshape']);

export const help: Builtin = async (context) => {
  const names = context.shell.commandNames().sort();
  context.stdout.write([
    'This is a small shell over the simulated host. Lines are parsed like bash: quotes,',
    "$VARIABLES, ';', '&&', '||', pipes '|' and redirections > >> < 2> 2>&1.",
    'Keys: arrows and Home/End edit the line, Up/Down recall history, Tab completes',
    'commands, file names and (after postconf) parameter names, Ctrl-C interrupts,',
    'Ctrl-D ends input to a command that reads it, Ctrl-L clears the screen.',
    '',
    'Commands:',
    ...names.map((name) => `  ${name}`),
    '',
  ].join('\n'));
  return 0;
};
