// users.messages.send checks and threading (docs/providers.md, Gmail facts: threading on send).
// Gmail joins a thread only when the request names the threadId, the message carries References and
// In-Reply-To, and the Subject matches; otherwise the message silently starts a new thread, which
// this fake reproduces and records (`threadingRejected`) so tests can see why.
import { errors, googleErrorBody, HttpError } from './http-util.js';
import type { Mailbox, StoredMessage } from './mailbox.js';
import { addMessage } from './mailbox.js';
import {
  addresses,
  headerValue,
  messageIds,
  MimeError,
  normalizeSubject,
  parseHeaderSection,
} from './mime.js';
import type { FakeState, SentRecord } from './state.js';

function sendingLimit(state: FakeState, email: string): void {
  const now = state.now();
  const recent = (state.sentToday.get(email) ?? []).filter((t) => now - t < 86_400_000);
  state.sentToday.set(email, recent);
  if (recent.length >= state.dailySendLimit) {
    const retry = new Date(recent[0]! + 86_400_000).toISOString();
    throw new HttpError(
      429,
      googleErrorBody(
        429,
        `User-rate limit exceeded.  Retry after ${retry} (Mail sending)`,
        'rateLimitExceeded',
        'RESOURCE_EXHAUSTED',
        {
          domain: 'usageLimits',
        },
      ),
    );
  }
  recent.push(now);
}

function threadingProblem(
  mb: Mailbox,
  threadId: string,
  headers: ReturnType<typeof parseHeaderSection>['headers'],
): string | undefined {
  const inReplyTo = messageIds(headerValue(headers, 'in-reply-to'));
  const references = messageIds(headerValue(headers, 'references'));
  if (inReplyTo.length === 0) return 'no In-Reply-To header';
  if (references.length === 0) return 'no References header';
  const members = (mb.threads.get(threadId) ?? []).map((id) => mb.messages.get(id)!);
  const known = new Set(
    members.map((m) => m.rfcMessageId).filter((v): v is string => v !== undefined),
  );
  if (![...inReplyTo, ...references].some((id) => known.has(id)))
    return 'References / In-Reply-To name no message of the thread';
  const subject = normalizeSubject(headerValue(headers, 'subject'));
  if (!members.some((m) => normalizeSubject(m.subject) === subject))
    return 'Subject does not match the thread';
  return undefined;
}

export function sendMessage(
  state: FakeState,
  mb: Mailbox,
  raw: Buffer,
  requestedThreadId: string | undefined,
): { message: StoredMessage; record: SentRecord } {
  let parsed: ReturnType<typeof parseHeaderSection>;
  try {
    parsed = parseHeaderSection(raw);
  } catch (e) {
    if (e instanceof MimeError) throw errors.badRequest(`Invalid RFC822 message: ${e.message}`);
    throw e;
  }
  const { headers } = parsed;
  const from = addresses(headerValue(headers, 'from'));
  // Real Gmail rewrites a From it does not own to the primary address; the fake refuses instead,
  // so a wrong From in Inlet's composer fails loudly in tests.
  if (from.length > 0 && !from.every((a) => a === mb.email || mb.aliases.has(a))) {
    throw errors.badRequest(
      `fake: From ${from.join(', ')} is neither ${mb.email} nor one of its send-as aliases`,
    );
  }
  const recipients = ['to', 'cc', 'bcc'].flatMap((h) => addresses(headerValue(headers, h)));
  if (recipients.length === 0) throw errors.invalidArgument('Recipient address required');
  if (requestedThreadId !== undefined) {
    if (!/^[0-9a-f]{1,16}$/i.test(requestedThreadId))
      throw errors.badRequest('Invalid thread_id value');
    if (!mb.threads.has(requestedThreadId)) throw errors.notFound();
  }
  sendingLimit(state, mb.email);
  const problem =
    requestedThreadId !== undefined ? threadingProblem(mb, requestedThreadId, headers) : undefined;
  const threadId = requestedThreadId !== undefined && !problem ? requestedThreadId : undefined;
  const message = addMessage(mb, raw, {
    labelIds: ['SENT'],
    threadId,
    now: state.now(),
    gaps: state.historyGaps,
  });
  const record: SentRecord = {
    id: message.id,
    threadId: message.threadId,
    raw,
    requestedThreadId,
    threadingRejected: problem,
    at: state.now(),
  };
  const list = state.sent.get(mb.email) ?? [];
  list.push(record);
  state.sent.set(mb.email, list);
  return { message, record };
}
