// The maillog: Postfix's log lines rendered from trace events (render.ts), their number and
// time formats (format.ts), and the writer that appends them to maillog_file (writer.ts).
// Called by engine/master (the writer), tests and the UI.

export { renderLogLine, renderLogText, logTag, MAIL_VERSION, type RenderOptions } from './render.ts';
export { formatDelay, formatLogTime, logHostName, DELAY_RESOLUTION_DIGITS_DEFAULT } from './format.ts';
export {
  createMaillogWriter, formatMaillogLine, SIM_DEFAULT_MAILLOG_FILE, MAILLOG_PENDING_LINES_MAX,
  PROGRAMS_WITHOUT_MAILLOG, PROGRAMS_WITHOUT_SYSLOG_NAME, type MaillogWriter, type MaillogSettings, type MaillogWriterOptions,
} from './writer.ts';
