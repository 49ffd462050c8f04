// The table of admin commands by the name a user types. The shell and the CLI look names
// up here; adding a command means adding its module and one line below.

import type { CommandMain } from './command.ts';
import { postconfMain } from './postconf.ts';
import { postmapMain } from './postmap.ts';
import { postaliasMain, newaliasesMain } from './postalias.ts';
import { postcatMain } from './postcat.ts';
import { postfixMain } from './postfix.ts';
import { postqueueMain, mailqMain } from './postqueue.ts';
import { postsuperMain } from './postsuper.ts';
import { qshapeMain } from './qshape.ts';
import { sendmailMain } from './sendmail.ts';

export const commands: Record<string, CommandMain> = {
  postconf: postconfMain,
  postmap: postmapMain,
  postalias: postaliasMain,
  newaliases: newaliasesMain,
  postcat: postcatMain,
  postfix: postfixMain,
  postqueue: postqueueMain,
  mailq: mailqMain,
  postsuper: postsuperMain,
  qshape: qshapeMain,
  sendmail: sendmailMain,
};
