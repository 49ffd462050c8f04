// $name expansion of local(8)'s own names in forward_path, luser_relay, mailbox_command and
// command_execution_directory: $user, $home, $shell, $domain, $local, $mailbox,
// $recipient, $extension, $recipient_delimiter, with Postfix's ${name?text} and
// ${name:text} forms. Looked-up values pass through a character filter (characters not in
// it become '_'), as forward_expansion_filter and command_expansion_filter say.
// Called by dotforward.ts, unknown.ts and command.ts. Models src/local/local_expand.c.

import { expandValue } from '../global/config/expand.ts';
import type { LocalState, UserAttr } from './state.ts';

export interface LocalExpansion {
  text: string;
  error: boolean;
  undefinedName: boolean;
  /** $extension was used (LOCAL_EXP_EXTENSION_MATCHED). */
  extensionMatched: boolean;
}

function filtered(value: string | undefined, filter: string | undefined): string | undefined {
  if (value === undefined || filter === undefined) return value;
  if (allAllowed(value, filter)) return value;
  let result = '';
  for (const character of value) result += filter.includes(character) ? character : '_';
  return result;
}

/** Whether every character of `value` is in `filter` (no surrogates: those go through
 *  the code point loop of filtered()). The usual case: the value comes out unchanged. */
function allAllowed(value: string, filter: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdfff) return false;
    if (!filter.includes(value.charAt(index))) return false;
  }
  return true;
}

/** The value of one of local's names, or undefined for a name it does not know. */
function localValue(name: string, state: LocalState, user: UserAttr): string | undefined {
  const attr = state.attr;
  switch (name) {
    case 'user': return attr.user;
    case 'home': return user.home;
    case 'shell': return user.shell;
    case 'domain': return attr.domain;
    case 'local': return attr.local;
    case 'mailbox': return attr.local;
    case 'recipient': return attr.recipient.address;
    case 'extension': return attr.extension;
    case 'recipient_delimiter': {
      const found = attr.local.charAt(attr.user.length);
      const chosen = found !== '' ? found : state.shared.deps.settings.recipientDelimiter.charAt(0);
      return chosen === '' ? undefined : chosen;
    }
    default: return undefined;
  }
}

const LOCAL_NAMES: ReadonlySet<string> = new Set([
  'user', 'home', 'shell', 'domain', 'local', 'mailbox', 'recipient', 'extension', 'recipient_delimiter',
]);

export function localExpand(pattern: string, state: LocalState, user: UserAttr, filter?: string): LocalExpansion {
  let extensionMatched = false;
  const result = expandValue(pattern, {
    lookup: (name, mode) => {
      if (!LOCAL_NAMES.has(name)) return undefined;
      if (name === 'extension' && mode === 'use') extensionMatched = true;
      return filtered(localValue(name, state, user), filter);
    },
    warn: (text) => state.shared.deps.log.warn(text),
  });
  return { text: result.text, error: result.error, undefinedName: result.undefinedName, extensionMatched };
}
