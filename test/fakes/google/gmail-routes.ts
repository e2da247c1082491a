// Gmail v1 request pipeline: route match → Bearer check (401) → userId check → scope check (403)
// → injected errors → quota → strict query-parameter check (400) → handler.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { errors, queryParams } from './http-util.js';
import type { Mailbox } from './mailbox.js';
import type { RouteContext } from './oauth.js';
import { bearer } from './oauth-info.js';
import { chargeQuota, takeInjected } from './quota.js';
import type { AccessTokenRecord, FakeState } from './state.js';
import { userOf } from './state.js';

const G = 'https://www.googleapis.com/auth/';
const READ = [
  'https://mail.google.com/',
  `${G}gmail.modify`,
  `${G}gmail.readonly`,
  `${G}gmail.metadata`,
];
const SEND = [
  'https://mail.google.com/',
  `${G}gmail.modify`,
  `${G}gmail.compose`,
  `${G}gmail.send`,
];
/** System parameters every Google JSON API accepts; `fields` is refused because the fake ignores it. */
const STANDARD = new Set(['alt', 'prettyPrint', 'quotaUser', '$.xgafv', 'upload_protocol']);

export interface Route {
  operation: string;
  method: 'GET' | 'POST';
  pattern: RegExp;
  scopes: string[];
  params: string[];
  arrays?: string[];
}

export const ROUTES: Route[] = [
  {
    operation: 'users.getProfile',
    method: 'GET',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/profile$/,
    scopes: [...READ, `${G}gmail.compose`],
    params: [],
  },
  {
    operation: 'users.watch',
    method: 'POST',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/watch$/,
    scopes: READ,
    params: [],
  },
  {
    operation: 'users.stop',
    method: 'POST',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/stop$/,
    scopes: READ,
    params: [],
  },
  {
    operation: 'users.history.list',
    method: 'GET',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/history$/,
    scopes: READ,
    params: ['startHistoryId', 'historyTypes', 'labelId', 'maxResults', 'pageToken'],
    arrays: ['historyTypes'],
  },
  {
    operation: 'users.messages.list',
    method: 'GET',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/messages$/,
    scopes: READ,
    params: ['q', 'labelIds', 'includeSpamTrash', 'maxResults', 'pageToken'],
    arrays: ['labelIds'],
  },
  {
    operation: 'users.messages.send',
    method: 'POST',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/messages\/send$/,
    scopes: SEND,
    params: [],
  },
  {
    operation: 'users.messages.send',
    method: 'POST',
    pattern: /^\/upload\/gmail\/v1\/users\/([^/]+)\/messages\/send$/,
    scopes: SEND,
    params: ['uploadType'],
  },
  {
    operation: 'users.messages.get',
    method: 'GET',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/messages\/([^/]+)$/,
    scopes: READ,
    params: ['format', 'metadataHeaders'],
    arrays: ['metadataHeaders'],
  },
  {
    operation: 'users.labels.list',
    method: 'GET',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/labels$/,
    scopes: [...READ, `${G}gmail.labels`],
    params: [],
  },
];

export interface GmailCall {
  route: Route;
  token: AccessTokenRecord;
  mb: Mailbox;
  pathArgs: string[];
  query: Map<string, string>;
  arrays: Map<string, string[]>;
  /** True when the only Gmail read scope granted is gmail.metadata (no q, no raw/full;
   *  docs/providers.md, Gmail fake). */
  metadataOnly: boolean;
  req: IncomingMessage;
  body: Buffer;
  res: ServerResponse;
}

export function prepareCall(
  state: FakeState,
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  res: ServerResponse,
  ctx: RouteContext,
): GmailCall {
  const candidates = ROUTES.filter((r) => r.pattern.test(url.pathname));
  if (candidates.length === 0) throw errors.notFound();
  const route = candidates.find((r) => r.method === req.method);
  if (!route) throw errors.methodNotAllowed();
  ctx.operation = route.operation;
  const args = route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
  const token = bearer(state, req);
  if (!token) throw errors.unauthenticated();
  ctx.user = token.email;
  const userId = args[0]!;
  if (userId !== 'me' && userId.toLowerCase() !== token.email)
    throw errors.forbidden(`Delegation denied for ${userId}`);
  if (!route.scopes.some((s) => token.scopes.includes(s))) throw errors.insufficientScopes();
  const mb = userOf(state, token.email);
  if (!mb) throw errors.notFound();
  const injected = takeInjected(state, mb.email, route.operation);
  if (injected) throw injected;
  chargeQuota(state, mb.email, route.operation);

  const query = new Map<string, string>();
  const arrays = new Map<string, string[]>();
  for (const [name, values] of queryParams(url)) {
    if (name === 'fields')
      throw errors.badRequest(
        'fake: the fields= parameter is not supported; the fake would ignore it',
      );
    if (STANDARD.has(name)) {
      if (name === 'alt' && values[0] !== 'json' && route.operation !== 'users.messages.send')
        throw errors.badRequest('fake: only alt=json');
      continue;
    }
    if (!route.params.includes(name)) throw errors.unknownQueryParam(name);
    if (route.arrays?.includes(name)) arrays.set(name, values);
    else if (values.length > 1)
      throw errors.badRequest(
        `Invalid JSON payload received. Parameter '${name}' given more than once.`,
      );
    else query.set(name, values[0]!);
  }
  const full = ['https://mail.google.com/', `${G}gmail.modify`, `${G}gmail.readonly`];
  const metadataOnly =
    token.scopes.includes(`${G}gmail.metadata`) && !full.some((s) => token.scopes.includes(s));
  return { route, token, mb, pathArgs: args, query, arrays, metadataOnly, req, body, res };
}

export function uint(
  value: string | undefined,
  field: string,
  type: 'TYPE_UINT64' | 'TYPE_UINT32',
): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw errors.badRequest(`Invalid value at '${field}' (${type}), "${value}"`);
  return BigInt(value);
}

export function pageSize(value: string | undefined): number {
  const n = uint(value, 'max_results', 'TYPE_UINT32');
  if (n === undefined || n === 0n) return 100;
  // Gmail caps maxResults at 500 rather than failing (docs/providers.md, Gmail facts: listing
  // limits).
  return Number(n > 500n ? 500n : n);
}

export function decodePageToken(
  token: string | undefined,
  kind: string,
): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<
      string,
      string
    >;
    if (parsed.kind !== kind) throw new Error('kind');
    return parsed;
  } catch {
    throw errors.badRequest('Invalid pageToken');
  }
}

export function encodePageToken(data: Record<string, string>): string {
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}
