// Graph change-notification subscriptions for Outlook messages (docs/providers.md, Microsoft 365
// facts: subscriptions): create with a real validation request to the subscriber, renew,
// reauthorize, delete, expiry. The POSTs to the subscriber are made by notifier.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendEmpty, sendJson } from '../google/http-util.js';
import { mailboxFor } from './graph-auth.js';
import type { Notifier } from './notifier.js';
import {
  type AccessToken,
  type FakeState,
  type FakeUser,
  graphError,
  guid,
  type Subscription,
} from './state.js';

const RESOURCE = /^(me|users\/([^/]+))\/mailFolders(?:\('([^']+)'\)|\/([^/]+))\/messages$/i;

function subscriptionJson(s: FakeState, sub: Subscription) {
  return {
    '@odata.context': `${s.origin}/v1.0/$metadata#subscriptions/$entity`,
    id: sub.id,
    resource: sub.resource,
    applicationId: sub.clientId,
    changeType: sub.changeType,
    clientState: sub.clientState,
    notificationUrl: sub.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
    expirationDateTime: new Date(sub.expirationDateTime).toISOString(),
    creatorId: sub.oid,
    includeResourceData: null,
    latestSupportedTlsVersion: 'v1_2',
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}

function body(req: IncomingMessage, raw: Buffer): Record<string, unknown> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
    throw graphError(
      415,
      'UnsupportedMediaType',
      'A supported MIME type could not be found that matches the content type of the response.',
    );
  try {
    return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
  }
}

function expiryOf(s: FakeState, value: unknown): number {
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at))
    throw graphError(400, 'InvalidRequest', 'expirationDateTime is required and must be a date.');
  if (at > s.now() + s.maxSubscriptionMinutes * 60_000) {
    throw graphError(
      400,
      'ExtensionError',
      `Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be ${s.maxSubscriptionMinutes} minutes in the future.]`,
    );
  }
  // Shorter requests are raised to 45 minutes (docs/providers.md, Microsoft fake).
  return Math.max(at, s.now() + 45 * 60_000);
}

export async function createSubscription(
  s: FakeState,
  n: Notifier,
  caller: { token: AccessToken; user: FakeUser },
  req: IncomingMessage,
  raw: Buffer,
  res: ServerResponse,
): Promise<void> {
  const b = body(req, raw);
  for (const f of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
    if (typeof b[f] !== 'string')
      throw graphError(400, 'InvalidRequest', `The request is invalid: '${f}' is required.`);
  }
  const changeType = b.changeType as string;
  if (!changeType.split(',').every((c) => ['created', 'updated', 'deleted'].includes(c)))
    throw graphError(400, 'InvalidRequest', `Invalid changeType '${changeType}'.`);
  for (const f of ['notificationUrl', 'lifecycleNotificationUrl']) {
    if (b[f] !== undefined && b[f] !== null && !String(b[f]).startsWith('https://'))
      throw graphError(
        400,
        'ValidationError',
        `The ${f === 'notificationUrl' ? 'Notification' : 'Lifecycle Notification'} Url must be HTTPS.`,
      );
  }
  if (
    b.clientState !== undefined &&
    (typeof b.clientState !== 'string' || b.clientState.length > 128)
  )
    throw graphError(400, 'InvalidRequest', 'clientState must be at most 128 characters.');
  const m = RESOURCE.exec(b.resource as string);
  if (!m)
    throw graphError(
      400,
      'ExtensionError',
      `Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource '${String(b.resource)}' is not supported.]`,
    );
  const who = m[1] === 'me' ? 'me' : m[2]!;
  let mailbox: FakeUser;
  try {
    mailbox = mailboxFor(s, caller, who, 'read');
  } catch {
    throw graphError(
      403,
      'ExtensionError',
      'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]',
    );
  }
  // Delegated permissions reach only the signed-in user's own folders; the .Shared ones cannot
  // subscribe at all (docs/providers.md, Microsoft 365 facts: permissions).
  if (mailbox.oid !== caller.user.oid)
    throw graphError(
      403,
      'ExtensionError',
      'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]',
    );
  const expirationDateTime = expiryOf(s, b.expirationDateTime);
  for (const url of [
    b.notificationUrl as string,
    ...(typeof b.lifecycleNotificationUrl === 'string' ? [b.lifecycleNotificationUrl] : []),
  ]) {
    const v = await n.validate(url);
    if (v === 'timeout')
      throw graphError(400, 'ValidationError', 'Subscription validation request timed out.');
    if (v !== 'ok')
      throw graphError(
        400,
        'ValidationError',
        'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
      );
  }
  const sub: Subscription = {
    id: guid(),
    oid: caller.user.oid,
    mailbox: mailbox.oid,
    resource: b.resource as string,
    changeType,
    notificationUrl: b.notificationUrl as string,
    lifecycleNotificationUrl:
      typeof b.lifecycleNotificationUrl === 'string' ? b.lifecycleNotificationUrl : null,
    clientState: typeof b.clientState === 'string' ? b.clientState : null,
    expirationDateTime,
    clientId: caller.token.clientId,
  };
  s.subscriptions.set(sub.id, sub);
  sendJson(res, 201, subscriptionJson(s, sub));
}

function own(
  s: FakeState,
  caller: { token: AccessToken; user: FakeUser },
  id: string,
): Subscription {
  const sub = s.subscriptions.get(id);
  if (sub && sub.expirationDateTime <= s.now()) s.subscriptions.delete(id); // expired ones are gone
  const live = s.subscriptions.get(id);
  if (!live || live.clientId !== caller.token.clientId)
    throw graphError(404, 'ResourceNotFound', 'The object was not found.');
  if (live.oid !== caller.user.oid)
    throw graphError(
      403,
      'ExtensionError',
      'Operation: Update; Exception: [Status Code: Forbidden; Reason: Access is denied.]',
    );
  return live;
}

export function patchSubscription(
  s: FakeState,
  caller: { token: AccessToken; user: FakeUser },
  id: string,
  req: IncomingMessage,
  raw: Buffer,
  res: ServerResponse,
): void {
  const sub = own(s, caller, id);
  const b = body(req, raw);
  const extra = Object.keys(b).find((k) => k !== 'expirationDateTime' && k !== 'notificationUrl');
  if (extra) throw graphError(400, 'InvalidRequest', `Property '${extra}' cannot be updated.`);
  if (b.expirationDateTime !== undefined)
    sub.expirationDateTime = expiryOf(s, b.expirationDateTime);
  sendJson(res, 200, subscriptionJson(s, sub));
}

export function deleteSubscription(
  s: FakeState,
  caller: { token: AccessToken; user: FakeUser },
  id: string,
  res: ServerResponse,
): void {
  own(s, caller, id);
  s.subscriptions.delete(id);
  sendEmpty(res, 204);
}

export function reauthorize(
  s: FakeState,
  caller: { token: AccessToken; user: FakeUser },
  id: string,
  res: ServerResponse,
): void {
  own(s, caller, id);
  sendEmpty(res, 204);
}
