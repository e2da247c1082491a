// Classifying test mail written with LF line ends, as the bounce tests in src/ingest/stages/ do:
// the mail is our own, the mailbox's own address is support@inlet.test, and no Message-ID is ours.
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { parseMessage } from '../../src/ingest/stages/parse.js';
import type { ParsedMessage } from '../../src/ingest/types.js';

const ctx = { ownAddresses: ['support@inlet.test'], isOwnMessageId: () => false };

/** The mail parsed as it arrives (CRLF line ends). */
export const parseMail = (raw: string) => parseMessage(Buffer.from(raw.replace(/\r?\n/g, '\r\n')));

/** What classify makes of a parsed mail. */
export const classifyParsed = (msg: ParsedMessage) => classifyMessage(msg, ctx);

/** What classify makes of the mail. */
export const classify = async (raw: string) => classifyParsed(await parseMail(raw));

/** The addresses a bounce names as failed or delayed; empty when it is no bounce. */
export const recipients = async (raw: string) =>
  (await classify(raw)).bounce?.recipients.map((r) => r.address) ?? [];
