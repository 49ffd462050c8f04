// postconf(1): show main.cf parameters (all, named, -n non-default, -d defaults, -h values
// only, -H names only, -x expanded, -f folded), edit main.cf (-e, -#, -X), list map types
// (-m), locking methods (-l) and SASL plug-ins (-a, -A), bounce templates (-t, -b: in
// postconf-templates.ts), -T (answered as a build without OpenSSL), and hand -M/-F/-P to
// postconf-master.ts. Output, warnings and exit codes as Postfix 3.7.11's postconf.
// Called through the command table (engine/admin/index.ts) by the shell and the CLI.
// Trusts nothing in argv or the files. Models postconf.c and its postconf_*.c helpers.

import type { CommandContext, CommandMain } from './command.ts';
import { createReporter, type Reporter } from '../global/msg.ts';
import type { FileSystem } from '../platform/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import { Mode, parsePostconfOptions, settleMode, type PostconfOptions } from './postconf-options.ts';
import { editMainCf } from './postconf-edit.ts';
import { runPostconfMaster } from './postconf-master.ts';
import { showMainParameters } from './postconf-show.ts';
import { supportedMapTypes } from '../global/maps/index.ts';
import { readTextFile } from '../global/config/main-cf.ts';
import { showBounceTemplates } from './postconf-templates.ts';

/** The modes of postconf -T. */
const TLS_MODES: readonly string[] = ['compile-version', 'run-version', 'public-key-algorithms'];

/** What Debian's Postfix 3.7.11 build prints for -l, -a and -A. */
export const LOCK_METHODS: readonly string[] = ['flock', 'fcntl', 'dotlock'];
export const SASL_SERVER_TYPES: readonly string[] = ['cyrus', 'dovecot'];
export const SASL_CLIENT_TYPES: readonly string[] = ['cyrus'];

/** A FileSystem that resolves relative paths against the command's working directory, so
 *  "-c etc" works and messages still show the path as the user typed it. */
export function relativeFileSystem(fs: FileSystem, cwd: string): FileSystem {
  const resolve = (path: string): string => (path.startsWith('/') ? path : `${cwd.replace(/\/+$/, '')}/${path}`);
  return {
    readFile: (path) => fs.readFile(resolve(path)),
    writeFile: (path, data, options) => fs.writeFile(resolve(path), data, options),
    appendFile: (path, data, options) => fs.appendFile(resolve(path), data, options),
    rename: (from, to) => fs.rename(resolve(from), resolve(to)),
    unlink: (path) => fs.unlink(resolve(path)),
    mkdir: (path, options) => fs.mkdir(resolve(path), options),
    rmdir: (path) => fs.rmdir(resolve(path)),
    readdir: (path) => fs.readdir(resolve(path)),
    stat: (path) => fs.stat(resolve(path)),
    lstat: (path) => fs.lstat(resolve(path)),
    open: (path, flags, mode) => fs.open(resolve(path), flags, mode),
    link: (existing, newPath) => fs.link(resolve(existing), resolve(newPath)),
    symlink: (target, path) => fs.symlink(target, resolve(path)),
    chmod: (path, mode) => fs.chmod(resolve(path), mode),
    utimes: (path, atimeMs, mtimeMs) => fs.utimes(resolve(path), atimeMs, mtimeMs),
  };
}

export interface PostconfRun {
  context: CommandContext;
  reporter: Reporter;
  options: PostconfOptions;
  fs: FileSystem;
  /** As given (-c or MAIL_CONFIG) or the host's default. */
  configDirectory: string;
  /** Whether -c or MAIL_CONFIG named the directory: then config_directory counts as set. */
  directoryIsExplicit: boolean;
  pid: number;
}

export const postconfMain: CommandMain = async (context) => {
  const pid = context.host.nextPid();
  const reporter = createReporter({ program: 'postconf', host: context.host, pid, stderr: context.stderr });
  const options = parsePostconfOptions(context.argv, reporter, (text) => context.stderr.write(text));
  settleMode(options, reporter);
  const explicitDirectory = options.configDirectory ?? context.env.get('MAIL_CONFIG');
  const run: PostconfRun = {
    context, reporter, options, pid,
    fs: relativeFileSystem(context.host.platform.fs, context.cwd),
    configDirectory: explicitDirectory ?? context.host.defaultConfigDirectory,
    directoryIsExplicit: explicitDirectory !== undefined,
  };
  return dispatch(run);
};

async function dispatch(run: PostconfRun): Promise<number> {
  const { mode, operands } = run.options;
  const write = (text: string): void => run.context.stdout.write(text);
  const masterModes = Mode.masterEntries | Mode.masterFields | Mode.masterParameters;
  const editModes = Mode.edit | Mode.commentOut | Mode.exclude;
  if (mode & (Mode.expandTemplates | Mode.dumpTemplates)) return showBounceTemplates(run, (mode & Mode.expandTemplates) !== 0);
  if (mode & Mode.showMaps) {
    await readTextFile(run.fs, `${run.configDirectory}/main.cf`, run.reporter);
    for (const type of [...supportedMapTypes()].sort()) write(`${type}\n`);
    return 0;
  }
  if (mode & Mode.showLocks) {
    for (const method of LOCK_METHODS) write(`${method}\n`);
    return 0;
  }
  if ((mode & masterModes) && !(mode & editModes)) return runMaster(run);
  if (mode & Mode.showSaslServer) {
    for (const type of SASL_SERVER_TYPES) write(`${type}\n`);
    return 0;
  }
  if (mode & Mode.showSaslClient) {
    for (const type of SASL_CLIENT_TYPES) write(`${type}\n`);
    return 0;
  }
  if (mode & Mode.showTls) return showTls(run);
  if (mode & editModes) {
    if (operands.length === 0) run.reporter.fatal('missing service argument');
    if (mode & masterModes) return runMaster(run);
    const kind = mode & Mode.edit ? 'edit' : mode & Mode.commentOut ? 'comment-out' : 'exclude';
    await editMainCf(run.fs, run.configDirectory, kind, operands, run.reporter);
    return 0;
  }
  await showMainParameters(run);
  return 0;
}

/** postconf -T: mtalab is not built with an OpenSSL library (its TLS is simulated in sim,
 *  Node's own in real mode), so it answers as a Postfix built without TLS support: nothing,
 *  exit 0. An unknown mode is refused as the TLS build refuses it. */
function showTls(run: PostconfRun): number {
  if (TLS_MODES.includes(run.options.tlsArgument ?? '')) return 0;
  run.reporter.warn(`unknown 'postconf -T' mode: ${run.options.tlsArgument ?? ''}`);
  return 1;
}

function runMaster(run: PostconfRun): Promise<number> {
  const { mode } = run.options;
  const context = run.context.cwd === '/' || run.configDirectory.startsWith('/')
    ? run.context
    : { ...run.context, host: { ...run.context.host, platform: { ...run.context.host.platform, fs: run.fs } } };
  return runPostconfMaster({
    mode: mode & Mode.masterFields ? 'fields' : mode & Mode.masterParameters ? 'parameters' : 'entries',
    fold: (mode & Mode.fold) !== 0,
    expand: (mode & Mode.expand) !== 0,
    hideName: (mode & Mode.hideName) !== 0,
    hideValue: (mode & Mode.hideValue) !== 0,
    overrides: run.options.overrides,
    edit: (mode & Mode.edit) !== 0,
    exclude: (mode & Mode.exclude) !== 0,
    commentOut: (mode & Mode.commentOut) !== 0,
  }, run.options.operands, context, run.configDirectory, run.reporter);
}

/** "open PATH: reason" text for a failed file operation. */
export function failureReason(error: unknown): string {
  return error instanceof PlatformError ? describeCode(error.code) : String(error);
}
