// Per-user mailbox model: messages, threads, history records with non-contiguous ids,
// a retention floor below which history.list answers 404, and the user's watch (docs/providers.md,
// Gmail fake).
import { randomInt } from 'node:crypto';

import {
  headerValue,
  messageIds,
  normalizeSubject,
  parseHeaderSection,
  snippetOf,
} from './mime.js';

export interface StoredMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  raw: Buffer;
  internalDate: number;
  historyId: bigint;
  rfcMessageId: string | undefined;
  subject: string;
  snippet: string;
}

export interface HistoryRecord {
  id: bigint;
  type: 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';
  messageId: string;
  threadId: string;
  labelIds?: string[];
}

export interface Watch {
  topicName: string;
  labelIds: string[];
  behavior: 'include' | 'exclude';
  expiration: number;
}

export interface Mailbox {
  email: string;
  sub: string;
  aliases: Set<string>;
  messages: Map<string, StoredMessage>;
  threads: Map<string, string[]>;
  history: HistoryRecord[];
  historyId: bigint;
  /** Smallest startHistoryId still answered; anything older is "out of range" → 404. */
  retainedFrom: bigint;
  watch: Watch | undefined;
  userLabels: Map<string, string>;
}

export const SYSTEM_LABELS = [
  'INBOX',
  'SENT',
  'DRAFT',
  'SPAM',
  'TRASH',
  'UNREAD',
  'STARRED',
  'IMPORTANT',
  'CHAT',
  'CATEGORY_PERSONAL',
  'CATEGORY_SOCIAL',
  'CATEGORY_PROMOTIONS',
  'CATEGORY_UPDATES',
  'CATEGORY_FORUMS',
];

let idCounter = 0;
/** Gmail ids are 16 lower-case hex digits that grow with time. */
function newMessageId(now: number): string {
  idCounter = (idCounter + 1) % 0xfffff;
  return ((BigInt(now) << 20n) + BigInt(idCounter)).toString(16).padStart(16, '0');
}

export function createMailbox(email: string, aliases: string[] = []): Mailbox {
  const start = BigInt(1000 + randomInt(100_000));
  return {
    email: email.toLowerCase(),
    sub: String(100_000_000_000_000_000_000n + BigInt(randomInt(2 ** 47))),
    aliases: new Set(aliases.map((a) => a.toLowerCase())),
    messages: new Map(),
    threads: new Map(),
    history: [],
    historyId: start,
    retainedFrom: start,
    watch: undefined,
    userLabels: new Map(),
  };
}

export function labelExists(mb: Mailbox, id: string): boolean {
  return SYSTEM_LABELS.includes(id) || mb.userLabels.has(id);
}

/** History ids increase with random gaps, so clients cannot do arithmetic on them
 *  (docs/providers.md, Gmail fake). */
function bumpHistory(mb: Mailbox, gaps: boolean): bigint {
  mb.historyId += gaps ? BigInt(1 + randomInt(5)) : 1n;
  return mb.historyId;
}

export interface AddOptions {
  labelIds: string[];
  threadId?: string | undefined;
  now: number;
  gaps: boolean;
}

export function addMessage(mb: Mailbox, raw: Buffer, opts: AddOptions): StoredMessage {
  let subject = '';
  let rfcMessageId: string | undefined;
  try {
    const { headers } = parseHeaderSection(raw);
    subject = headerValue(headers, 'subject') ?? '';
    rfcMessageId = messageIds(headerValue(headers, 'message-id'))[0];
  } catch {
    // Delivered mail may be malformed; Gmail stores it anyway.
  }
  const id = newMessageId(opts.now);
  const threadId = opts.threadId ?? id;
  const historyId = bumpHistory(mb, opts.gaps);
  const msg: StoredMessage = {
    id,
    threadId,
    labelIds: [...opts.labelIds],
    raw,
    internalDate: opts.now,
    historyId,
    rfcMessageId,
    subject,
    snippet: snippetOf(raw),
  };
  mb.messages.set(id, msg);
  const thread = mb.threads.get(threadId) ?? [];
  thread.push(id);
  mb.threads.set(threadId, thread);
  mb.history.push({
    id: historyId,
    type: 'messageAdded',
    messageId: id,
    threadId,
    labelIds: [...opts.labelIds],
  });
  return msg;
}

/**
 * Finds the thread an inbound message belongs to by its References / In-Reply-To, the way Gmail
 * groups a customer's reply with the conversation it answers.
 */
export function threadFor(mb: Mailbox, raw: Buffer): string | undefined {
  let refs: string[];
  let subject: string;
  try {
    const { headers } = parseHeaderSection(raw);
    refs = [
      ...messageIds(headerValue(headers, 'in-reply-to')),
      ...messageIds(headerValue(headers, 'references')),
    ];
    subject = normalizeSubject(headerValue(headers, 'subject'));
  } catch {
    return undefined;
  }
  for (const msg of mb.messages.values()) {
    if (
      msg.rfcMessageId &&
      refs.includes(msg.rfcMessageId) &&
      normalizeSubject(msg.subject) === subject
    )
      return msg.threadId;
  }
  return undefined;
}

export function historyAfter(mb: Mailbox, start: bigint): HistoryRecord[] {
  return mb.history.filter((h) => h.id > start);
}

export function expireHistoryBefore(mb: Mailbox, id: bigint): void {
  mb.retainedFrom = id > mb.retainedFrom ? id : mb.retainedFrom;
  mb.history = mb.history.filter((h) => h.id >= mb.retainedFrom);
}

/** Does a change to a message with these labels pass the watch's label filter? */
export function watchMatches(watch: Watch, labelIds: string[]): boolean {
  if (watch.labelIds.length === 0) return true;
  const hit = watch.labelIds.some((l) => labelIds.includes(l));
  return watch.behavior === 'include' ? hit : !hit;
}
