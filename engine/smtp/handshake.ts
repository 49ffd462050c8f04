// The start of a session: the server's greeting, EHLO (or HELO when EHLO is refused or the
// server does not say ESMTP and smtp_always_send_ehlo is off; LHLO for LMTP), and the ESMTP
// keywords of the EHLO reply that the client uses (PIPELINING, SIZE, 8BITMIME, DSN,
// SMTPUTF8; STARTTLS and AUTH with the AUTH mechanisms, used by security.ts).
// A greeting or EHLO reply naming our own host is the last line of loop defence.
// Called by api.ts. Failures are reported through outcome.ts. Models smtp_helo() in
// src/smtp/smtp_proto.c (the STARTTLS part is security.ts) and smtp_stream_except() of smtp_trouble.c.

import type { DeliveryState } from './outcome.ts';
import { oneLine, type ServerReply } from './reply.ts';
import type { ClientSession, Feature } from './session.ts';
import type { ClientSettings } from './settings.ts';
import { StreamError } from './stream.ts';

export interface HandshakeInput {
  state: DeliveryState;
  session: ClientSession;
  settings: ClientSettings;
  /** Loop detection is on for the SMTP port (SMTP_MISC_FLAG_LOOP_DETECT). */
  loopDetect: boolean;
}

/** smtp_site_fail(): the server refused the whole session. */
export async function siteFail(state: DeliveryState, dsn: string, reason: string, mta?: string, reply?: ServerReply): Promise<void> {
  state.fill(dsn, reason, mta, reply);
  await state.bulkFail(true);
}

/** smtp_stream_except(): a lost connection or a timeout in the middle of a stage. */
export async function streamFailure(state: DeliveryState, session: ClientSession, error: StreamError, where: string): Promise<void> {
  const reason = error.failure === 'eof'
    ? `lost connection with ${session.namaddr} while ${where}`
    : `conversation with ${session.namaddr} timed out while ${where}`;
  state.fill('4.4.2', reason);
  await state.bulkFail(true);
}

const KEYWORD_FEATURES: Readonly<Record<string, Feature>> = {
  '8bitmime': '8bitmime', pipelining: 'pipelining', size: 'size', dsn: 'dsn', smtputf8: 'smtputf8',
  starttls: 'starttls', auth: 'auth',
};

/** The EHLO reply's keywords into session features; the first line's word is the server's
 *  name. Returns that name. */
function absorbKeywords(input: HandshakeInput, reply: ServerReply): string | undefined {
  const { session, settings, state } = input;
  let serverName: string | undefined;
  let index = 0;
  for (const line of reply.text.split('\n')) {
    // mystrtok(" -") takes the reply code; the keyword ends at space, tab or '='.
    const match = /^[- ]*[^- ]+[- ]?(.*)$/.exec(line);
    if (match === null) continue;
    const words = (match[1] ?? '').split(/[ \t=]+/).filter((word) => word !== '');
    const word = words[0];
    if (word === undefined) continue;
    if (index++ === 0) {
      serverName = word;
      continue;
    }
    const keyword = word.toLowerCase();
    if (settings.discardEhloKeywords.has(keyword)) continue;
    const feature = KEYWORD_FEATURES[keyword];
    if (feature === undefined) continue;
    session.features.add(feature);
    if (feature === 'auth') {
      for (const name of words.slice(1)) if (!session.saslMechanisms.includes(name.toUpperCase())) session.saslMechanisms.push(name.toUpperCase());
    }
    if (feature === 'size') {
      const limit = words[1];
      if (limit !== undefined && /^\d+$/.test(limit)) session.sizeLimit = Number(limit);
      else if (limit !== undefined) state.context.log.warn(`bad EHLO SIZE limit "${limit}" from ${session.namaddrport}`);
    }
  }
  return serverName;
}

async function refused(input: HandshakeInput, reply: ServerReply): Promise<false> {
  await siteFail(input.state, reply.dsn, `host ${input.session.namaddr} refused to talk to me: ${oneLine(reply)}`,
    input.session.hostName, reply);
  return false;
}

/** smtp_helo(): true when the session may carry mail. */
export async function handshake(input: HandshakeInput): Promise<boolean> {
  const { session, settings, state } = input;
  const stream = session.stream;
  const timeout = settings.timeouts.heloSeconds;
  let where = 'receiving the initial server greeting';
  try {
    const greeting = await stream.readReply(timeout);
    if (Math.floor(greeting.code / 100) !== 2) {
      const softened = greeting.code >= 500 && greeting.code < 600 && settings.skip5xxGreeting
        ? { ...greeting, dsn: `4${greeting.dsn.slice(1)}` } : greeting;
      return refused(input, softened);
    }
    const words = greeting.text.split(/[- \t\n]+/).filter((word) => word !== '').slice(1);
    words.forEach((word, index) => {
      if (index === 0 && word.toLowerCase() === settings.myhostname.toLowerCase()) {
        if (input.loopDetect) state.context.log.warn(`host ${session.namaddrport} greeted me with my own hostname ${settings.myhostname}`);
      } else if (word.toLowerCase() === 'esmtp') {
        session.features.add('esmtp');
      }
    });
    if (settings.protocol === 'lmtp' || settings.alwaysSendEhlo) session.features.add('esmtp');
    if (settings.protocol === 'smtp' && settings.neverSendEhlo) session.features.delete('esmtp');
    let reply: ServerReply | undefined;
    if (settings.protocol === 'lmtp') {
      where = 'performing the LHLO handshake';
      stream.writeCommand(`LHLO ${settings.heloName}`);
      reply = await stream.readReply(timeout);
      if (Math.floor(reply.code / 100) !== 2) return refused(input, reply);
    } else {
      if (session.has('esmtp')) {
        where = 'performing the EHLO handshake';
        stream.writeCommand(`EHLO ${settings.heloName}`);
        reply = await stream.readReply(timeout);
        if (Math.floor(reply.code / 100) !== 2) {
          if (reply.code === 421) return refused(input, reply);
          session.features.delete('esmtp');
        }
      }
      if (!session.has('esmtp')) {
        where = 'performing the HELO handshake';
        stream.writeCommand(`HELO ${settings.heloName}`);
        const helo = await stream.readReply(timeout);
        if (Math.floor(helo.code / 100) !== 2) return refused(input, helo);
      }
    }
    if (session.has('esmtp') && reply !== undefined) return await checkFeatures(input, reply);
    return true;
  } catch (error) {
    if (!(error instanceof StreamError)) throw error;
    await streamFailure(state, session, error, where);
    return false;
  }
}

/** What smtp_helo() checks once the EHLO reply is in (again after STARTTLS: security.ts). */
export async function checkFeatures(input: HandshakeInput, reply: ServerReply): Promise<boolean> {
  const { session, settings, state } = input;
  session.heloName = absorbKeywords(input, reply);
  if (session.heloName !== undefined && input.loopDetect && session.heloName.toLowerCase() === settings.myhostname.toLowerCase()) {
    state.context.log.warn(`host ${session.namaddrport} replied to HELO/EHLO with my own hostname ${settings.myhostname}`);
    await siteFail(state, session.has('bestMx') ? '5.4.6' : '4.4.6', `mail for ${state.request.nexthop} loops back to myself`);
    return false;
  }
  if (session.has('smtputf8') && !session.has('8bitmime')) {
    state.context.log.info(`host ${session.namaddr} offers SMTPUTF8 support, but not 8BITMIME`);
    session.features.add('8bitmime');
  }
  return true;
}
