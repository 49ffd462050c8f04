// mtalab's own SASL password table. Postfix delegates SMTP AUTH to Cyrus SASL or Dovecot;
// mtalab has neither, so smtpd checks PLAIN and LOGIN passwords itself against lookup
// tables named by the mtalab-only parameter mtalab_sasl_password_maps (the real Postfix
// has no such parameter). Format, one entry per line of e.g. texthash:/etc/postfix/sasl_users
// or a postmap'ed hash: table:
//
//     alice              secret        (a user name as the client sends it)
//     bob@example.com    other-secret  (a name with a realm)
//
// The key is the name the client authenticates as; when it has no "@" and is not found,
// "name@$smtpd_sasl_local_domain" is tried too (as Cyrus appends the realm). The value is
// the password in clear text: this is a teaching lab, and the file should be readable by
// root only, as Postfix's sasl_passwd is.
// Called by smtpd's AUTH (engine/smtpd/auth.ts). Trusts openLookupTable (H3).

import { openLookupTable, MapError, type LookupTable, type MapContext } from '../maps/index.ts';

/** The mtalab-only parameter that names the tables. */
export const SASL_PASSWORD_MAPS_PARAMETER = 'mtalab_sasl_password_maps';

/** Tables one parameter may name. */
export const PASSWORD_TABLES_MAX = 16;

export type PasswordVerdict = 'ok' | 'bad' | 'temporary';

export interface SaslPasswordTable {
  /** Whether any table is configured (without one every AUTH fails). */
  readonly configured: boolean;
  verify(username: string, password: string): Promise<PasswordVerdict>;
}

/** Compares without an early exit, so the time taken does not tell the matching prefix. */
function sameText(left: string, right: string): boolean {
  let difference = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) difference |= (left.charCodeAt(index) | 0) ^ (right.charCodeAt(index) | 0);
  return difference === 0;
}

export async function openSaslPasswordTable(specs: readonly string[], localDomain: string, context: MapContext): Promise<SaslPasswordTable> {
  const tables: LookupTable[] = [];
  for (const spec of specs.slice(0, PASSWORD_TABLES_MAX)) {
    if (spec.includes(':')) tables.push(await openLookupTable(spec, { ...context, allowSurrogate: true }));
  }
  const find = async (key: string): Promise<string | undefined> => {
    for (const table of tables) {
      const value = await table.lookup(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  return {
    configured: tables.length > 0,
    async verify(username, password) {
      if (username === '') return 'bad';
      try {
        let stored = await find(username);
        if (stored === undefined && !username.includes('@') && localDomain !== '') stored = await find(`${username}@${localDomain}`);
        return stored !== undefined && sameText(stored, password) ? 'ok' : 'bad';
      } catch (error) {
        if (error instanceof MapError) return 'temporary';
        throw error;
      }
    },
  };
}
