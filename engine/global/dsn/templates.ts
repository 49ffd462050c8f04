// The four kinds of delivery status notification and their texts: failure (a non-delivery
// notice), delay (a warning that delivery is still being retried), success (NOTIFY=SUCCESS)
// and verify (sendmail -bv). The header values (From, Subject, Postmaster-Subject) are the
// ones Postfix puts on its notices, since students compare headers; the explanatory text
// is mtalab's own wording. Texts may use $myhostname, $mail_name and time parameters with
// a unit suffix ($delay_warning_time_hours, $maximal_queue_lifetime_days), which warn
// when they round down to zero as Postfix's bounce templates do.
// Called by the DSN composer and the bounce service. Models src/bounce/bounce_templates.c
// (the built-in templates) and bounce_template.c (the $name_unit conversions).

export type NoticeKind = 'failure' | 'delay' | 'success' | 'verify';

export interface NoticeTemplate {
  kind: NoticeKind;
  from: string;
  subject: string;
  /** Subject of the copy for the postmaster, when the kind has one. */
  postmasterSubject?: string;
  /** The human-readable part, one entry per line, before expansion. */
  text: readonly string[];
  /** Where it came from, in warnings: "[built-in]" (the default) or the template file. */
  origin?: string;
}

const FROM = 'Mail Delivery System <MAILER-DAEMON>';

const INTRO = 'This report was written by the mail system at host $myhostname.';
const HELP = [
  'If you need help with this report, write to the postmaster of this',
  'site and include the whole report. You may remove your own text from',
  'the returned message before you send it.',
];
const SIGNATURE = '                   The $mail_name mail system';

export const NOTICE_TEMPLATES: Readonly<Record<NoticeKind, NoticeTemplate>> = {
  failure: {
    kind: 'failure',
    from: FROM,
    subject: 'Undelivered Mail Returned to Sender',
    postmasterSubject: 'Postmaster Copy: Undelivered Mail',
    text: [
      INTRO, '',
      'Delivery of your message failed for good for the recipient(s) listed',
      'below; no further attempts will be made. Your message is attached.', '',
      ...HELP, '', SIGNATURE,
    ],
  },
  delay: {
    kind: 'delay',
    from: FROM,
    subject: 'Delayed Mail (still being retried)',
    postmasterSubject: 'Postmaster Warning: Delayed Mail',
    text: [
      INTRO, '',
      '*** NOTE: this is only a warning. Please do not send your message again. ***', '',
      'Your message has waited for more than $delay_warning_time_hours hour(s) without being',
      'delivered to the recipient(s) listed below. Delivery attempts go on',
      'until the message is $maximal_queue_lifetime_days day(s) old; after that it is returned.', '',
      ...HELP, '', SIGNATURE,
    ],
  },
  success: {
    kind: 'success',
    from: FROM,
    subject: 'Successful Mail Delivery Report',
    text: [
      INTRO, '',
      'Your message reached the recipient(s) listed below. Where it was put',
      'into a mailbox, this is the last report you will get about it; where',
      'it was passed on to another system, that system may still report.', '',
      SIGNATURE,
    ],
  },
  verify: {
    kind: 'verify',
    from: FROM,
    subject: 'Mail Delivery Status Report',
    text: [
      INTRO, '',
      'Here is the delivery report you asked for: what the mail system would',
      'do with a message to each recipient listed below.', '',
      SIGNATURE,
    ],
  },
};

/** Time units of $name_unit template variables, in seconds. */
const TIME_UNITS: Readonly<Record<string, number>> = {
  seconds: 1, minutes: 60, hours: 3600, days: 86_400, weeks: 604_800,
};

/** Names a template may use without a unit. */
export interface TemplateValues {
  /** Plain string parameters ($myhostname, $mail_name). */
  get(name: string): string | undefined;
  /** Time parameters in seconds (delay_warning_time, maximal_queue_lifetime). */
  getTimeSeconds(name: string): number | undefined;
}

/** Expands $name and ${name} in the template's text. Returns the lines and the warnings
 *  Postfix would log (three lines per time value that converts to zero). */
export function expandTemplate(template: NoticeTemplate, values: TemplateValues): { lines: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const expand = (name: string): string => {
    const unitMatch = /^(.+)_(seconds|minutes|hours|days|weeks)$/.exec(name);
    if (unitMatch !== null) {
      const parameter = unitMatch[1] ?? '';
      const unit = unitMatch[2] ?? 'seconds';
      const seconds = values.getTimeSeconds(parameter);
      if (seconds !== undefined) {
        const result = Math.floor(seconds / (TIME_UNITS[unit] ?? 1));
        // A parameter that is zero itself, or a unit of seconds, gives no warning.
        if (result === 0 && seconds > 0 && unit !== 'seconds') {
          warnings.push(`${template.origin ?? '[built-in]'}: zero result in ${template.kind} template conversion of parameter "${name}"`,
            `please reduce time unit "${unit}" of "${name}" in ${template.kind} template`,
            'for instructions see the bounce(5) manual');
        }
        return String(result);
      }
    }
    return values.get(name) ?? '';
  };
  const lines = template.text.map((line) =>
    line.replace(/\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g, (_match, braced: string | undefined, bare: string | undefined) =>
      expand(braced ?? bare ?? '')));
  return { lines, warnings };
}
