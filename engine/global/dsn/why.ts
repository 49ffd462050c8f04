// A reason with its DSN status, as Postfix's DSN_BUF carries it from where a delivery
// fails to where its status is reported. Used by the delivery agents (local, virtual,
// pipe, error) and the mailbox code they share (engine/global/mbox.ts, maildir.ts).
// Models the dsn/reason pair of src/global/dsn_buf.h.

export interface Why {
  dsn: string;
  reason: string;
}
