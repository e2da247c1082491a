// Gmail v1 operations on the mailbox model (docs/providers.md, Gmail facts): profile, watch, history
// and labels; messages.list/get/send are in gmail-messages.ts.
import type { GmailCall } from './gmail-routes.js';
import { decodePageToken, encodePageToken, pageSize, uint } from './gmail-routes.js';
import { errors, googleErrorBody, HttpError, sendEmpty, sendJson } from './http-util.js';
import { historyAfter, labelExists, SYSTEM_LABELS } from './mailbox.js';
import type { Pusher } from './push.js';
import type { FakeState } from './state.js';

export interface GmailDeps {
  state: FakeState;
  pusher: Pusher;
  /** Called after a change to a mailbox so an active watch can publish. */
  changed(email: string, labelIds: string[]): void;
}

export function jsonBody(call: GmailCall, allowed: string[], at: string): Record<string, unknown> {
  if (call.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.body.toString('utf8'));
  } catch {
    throw errors.badRequest('Invalid JSON payload received. Unexpected token.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw errors.badRequest(`Invalid JSON payload received. Expected an object at '${at}'.`);
  }
  for (const key of Object.keys(parsed))
    if (!allowed.includes(key)) throw errors.unknownBodyField(key, at);
  return parsed as Record<string, unknown>;
}

function stringArray(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw errors.badRequest(`Invalid JSON payload received. Invalid value at '${field}'.`);
  }
  return value as string[];
}

export function checkLabels(call: GmailCall, ids: string[]): void {
  for (const id of ids)
    if (!labelExists(call.mb, id)) throw errors.badRequest(`Invalid label: ${id}`);
}

export function getProfile(call: GmailCall): void {
  const { mb } = call;
  sendJson(call.res, 200, {
    emailAddress: mb.email,
    messagesTotal: mb.messages.size,
    threadsTotal: mb.threads.size,
    historyId: String(mb.historyId),
  });
}

export function watch(deps: GmailDeps, call: GmailCall): void {
  const { state, pusher } = deps;
  const body = jsonBody(
    call,
    ['topicName', 'labelIds', 'labelFilterBehavior', 'labelFilterAction'],
    'watch_request',
  );
  const topic = typeof body.topicName === 'string' ? body.topicName : '';
  const m = /^projects\/([^/]+)\/topics\/([^/]+)$/.exec(topic);
  if (!m || m[1] !== state.projectId)
    throw errors.badRequest(
      `Invalid topicName does not match projects/${state.projectId}/topics/*`,
    );
  if (topic !== pusher.topicName()) {
    throw new HttpError(
      403,
      googleErrorBody(
        403,
        `Error sending test message to Cloud PubSub ${topic} : User not authorized to perform this action.`,
        'forbidden',
        'PERMISSION_DENIED',
      ),
    );
  }
  const labelIds = stringArray(body.labelIds, 'watch_request.label_ids');
  checkLabels(call, labelIds);
  // Discovery lists lowercase values, Google's guide sends "INCLUDE"; the two sources disagree, so
  // both are accepted.
  const rawBehaviour = body.labelFilterBehavior ?? body.labelFilterAction ?? 'include';
  const behaviour = typeof rawBehaviour === 'string' ? rawBehaviour.toLowerCase() : '';
  if (behaviour !== 'include' && behaviour !== 'exclude') {
    throw errors.badRequest(
      `Invalid value at 'watch_request.label_filter_behavior', "${String(rawBehaviour)}"`,
    );
  }
  const expiration = state.now() + 7 * 86_400_000;
  call.mb.watch = { topicName: topic, labelIds, behavior: behaviour, expiration };
  sendJson(call.res, 200, { historyId: String(call.mb.historyId), expiration: String(expiration) });
  // A successful watch publishes one notification straight away (docs/providers.md, Gmail fake).
  pusher.notify(call.mb.email, call.mb.historyId);
}

export function stop(call: GmailCall): void {
  call.mb.watch = undefined;
  sendEmpty(call.res, 204);
}

const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];
const PLURAL: Record<string, string> = {
  messageAdded: 'messagesAdded',
  messageDeleted: 'messagesDeleted',
  labelAdded: 'labelsAdded',
  labelRemoved: 'labelsRemoved',
};

export function historyList(deps: GmailDeps, call: GmailCall): void {
  const { mb } = call;
  const start = uint(call.query.get('startHistoryId'), 'start_history_id', 'TYPE_UINT64');
  if (start === undefined) throw errors.badRequest('Missing required field: startHistoryId');
  const types = (call.arrays.get('historyTypes') ?? []).map((t) => {
    const hit = HISTORY_TYPES.find(
      (h) =>
        h.toLowerCase() === t.toLowerCase() ||
        h.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase() === t,
    );
    if (!hit)
      throw errors.badRequest(
        `Invalid value at 'history_types[0]' (type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryType), "${t}"`,
      );
    return hit;
  });
  const labelId = call.query.get('labelId');
  if (labelId !== undefined) checkLabels(call, [labelId]);
  // Out-of-range ids (older than the retained window, or beyond the mailbox's id) answer 404
  // (docs/providers.md, Gmail fake).
  if (start < mb.retainedFrom || start > mb.historyId) throw errors.notFound();
  const page = decodePageToken(call.query.get('pageToken'), 'history');
  const after = page ? BigInt(page.after!) : start;
  const size = pageSize(call.query.get('maxResults'));
  const records = historyAfter(mb, after).filter((h) => {
    if (types.length > 0 && !types.includes(h.type)) return false;
    if (labelId === undefined) return true;
    const labels = mb.messages.get(h.messageId)?.labelIds ?? h.labelIds ?? [];
    return labels.includes(labelId);
  });
  const chunk = records.slice(0, size);
  const history = chunk.map((h) => {
    const ref = { id: h.messageId, threadId: h.threadId };
    const withLabels =
      deps.state.historyMessageLabelIds && h.labelIds ? { ...ref, labelIds: h.labelIds } : ref;
    return { id: String(h.id), messages: [ref], [PLURAL[h.type]!]: [{ message: withLabels }] };
  });
  const out: Record<string, unknown> = {};
  if (history.length > 0) out.history = history;
  if (records.length > size)
    out.nextPageToken = encodePageToken({
      kind: 'history',
      after: String(chunk[chunk.length - 1]!.id),
    });
  out.historyId = String(mb.historyId);
  sendJson(call.res, 200, out);
}

export function labelsList(call: GmailCall): void {
  const labels = [
    ...SYSTEM_LABELS.map((id) => ({ id, name: id, type: 'system' })),
    ...[...call.mb.userLabels].map(([id, name]) => ({ id, name, type: 'user' })),
  ];
  sendJson(call.res, 200, { labels });
}
