// Root's file access in the simulation. Every simulated process runs as root (fs.ts), but
// memfs checks each access against the owner, group and other bits with no exception for
// uid 0, so a daemon could not create a file in a directory it had given to a user
// (virtual(8) making a Maildir's tmp/ under a 0700 directory owned by uid 5000, local(8)
// under a user's Maildir, the harness reading a 0600 mailbox). This gives memfs's inodes
// the kernel's rule for root: read and write always, search any directory, execute a file
// only when some execute bit is set. Permission checks "as the recipient" are made by the
// delivery agents themselves (engine/global/ownership.ts), as its header explains.
// Installed once by fs.ts before the first volume is made. Models capable(CAP_DAC_OVERRIDE).

import { Node } from '@jsonjoy.com/fs-core';

const ANY_EXECUTE_BITS = 0o111;
const DIRECTORY_TYPE = 0o040000;
const TYPE_BITS = 0o170000;

let installed = false;

export function grantRootAccess(): void {
  if (installed) return;
  installed = true;
  const prototype = Node.prototype as unknown as {
    canRead(): boolean; canWrite(): boolean; canExecute(): boolean; mode: number; perm: number;
  };
  prototype.canRead = function canRead(): boolean { return true; };
  prototype.canWrite = function canWrite(): boolean { return true; };
  prototype.canExecute = function canExecute(this: { mode: number; perm: number }): boolean {
    return (this.mode & TYPE_BITS) === DIRECTORY_TYPE || (this.perm & ANY_EXECUTE_BITS) !== 0;
  };
}
