// The bytes pipe(8) writes to a command's standard input: optional From_ line (F),
// Return-Path (R), X-Original-To (O) and Delivered-To (D) headers, then the message with
// each line ended by the eol= string, ">From " quoting (>) and dot-stuffing (.) of lines
// that start a record, and a blank line at the end (B).
// Called by api.ts. Reads the content through engine/global/mail-copy.ts (readMessage), the
// same record reader local and virtual use. Models mail_copy() of src/global/mail_copy.c
// with pipe's flags and end-of-line string.

import { quoteLocalPart } from '../global/address/index.ts';
import { asctime } from '../global/queue/record-text.ts';
import { concatenate, type MessageContent } from '../global/mail-copy.ts';
import type { PipeFlags } from './attributes.ts';

export interface PipeCopyEnvelope {
  /** The sender after the null_sender replacement. */
  sender: string;
  originalRecipient: string;
  delivered: string;
  nowMs: number;
  enableOriginalRecipient: boolean;
}

const encoder = new TextEncoder();
const FROM_SPACE = encoder.encode('From ');

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (bytes[index] !== prefix[index]) return false;
  return true;
}

export function pipeCopy(message: MessageContent, envelope: PipeCopyEnvelope, flags: PipeFlags, eol: string): Uint8Array {
  const parts: Uint8Array[] = [];
  const text = (value: string): void => { parts.push(encoder.encode(value)); };
  const quotedSender = quoteLocalPart(envelope.sender);
  if (flags.fromLine) {
    const stamp = asctime(Math.floor(envelope.nowMs / 1000)).slice(0, 24);
    text(`From ${envelope.sender === '' ? 'MAILER-DAEMON' : quotedSender}  ${stamp}${eol}`);
  }
  if (flags.returnPath) text(`Return-Path: <${envelope.sender === '' ? '' : quotedSender}>${eol}`);
  if (flags.originalRecipient && envelope.enableOriginalRecipient && envelope.originalRecipient !== '') {
    text(`X-Original-To: ${quoteLocalPart(envelope.originalRecipient)}${eol}`);
  }
  if (flags.deliveredTo) text(`Delivered-To: ${quoteLocalPart(envelope.delivered)}${eol}`);
  let previousContinued = false;
  for (const line of message.lines) {
    if (!previousContinued) {
      if (flags.fromQuoting && startsWith(line.bytes, FROM_SPACE)) text('>');
      if (flags.dotStuffing && line.bytes[0] === 0x2e) text('.');
    }
    parts.push(line.bytes);
    if (!line.continued) text(eol);
    previousContinued = line.continued;
  }
  if (previousContinued) text(eol);
  if (flags.blankLine) text(eol);
  return concatenate(parts);
}
