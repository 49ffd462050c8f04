// Parameters that only mtalab knows. The real Postfix has no such names (it would warn
// "unused parameter" about them); postconf here accepts them as used, and `postconf -d`
// does not list them, so its output stays equal to Postfix's.
// - mtalab_sasl_password_maps: lookup tables of "user password" for smtpd's SMTP AUTH
//   (PLAIN, LOGIN), where Postfix would ask Cyrus SASL or Dovecot. See
//   engine/global/sasl/passwords.ts for the format.
// - mtalab_smtpd_processes: in node real mode, how many worker processes run master.cf's
//   inet smtpd services (each with its own cleanup and trivial-rewrite), as Postfix's
//   master runs smtpd as processes of their own; 0 runs them in master's process
//   (engine/cli/smtpd-workers.ts).
// Called by postconf (engine/admin/postconf-show.ts) and the programs that read them.

export const MTALAB_PARAMETERS: ReadonlyMap<string, { defaultValue: string; description: string }> = new Map([
  ['mtalab_sasl_password_maps', { defaultValue: '', description: 'lookup tables "user password" for smtpd SMTP AUTH (mtalab only)' }],
  ['mtalab_smtpd_processes', { defaultValue: '0', description: 'worker processes for inet smtpd in node real mode, 0: none (mtalab only)' }],
]);

export function isMtalabParameter(name: string): boolean {
  return MTALAB_PARAMETERS.has(name);
}
