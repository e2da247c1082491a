// Random requests shaped by the published OpenAPI document: a real route and method, path ids that
// belong to the caller, to another tenant, to nobody or to no one's grammar, the route's own query,
// header and body field names filled with hostile values, and bodies that are not JSON at all.
import fc from 'fast-check';

type Json = Record<string, unknown>;

export interface Operation {
  method: string;
  path: string;
  query: string[];
  headers: string[];
  body: string[];
  /** Statuses documented as an HTML page for a browser rather than problem+json. */
  pages: number[];
}

/** Every operation in the app's OpenAPI document, with the names of its inputs. */
export function operationsOf(spec: { paths: Record<string, Record<string, Json>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const params = (op.parameters ?? []) as { in: string; name: string }[];
      const content = (op.requestBody as Json | undefined)?.content as Json | undefined;
      const schema = (content?.['application/json'] as Json | undefined)?.schema as
        Json | undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        headers: params.filter((p) => p.in === 'header').map((p) => p.name),
        body: Object.keys((schema?.properties as Json | undefined) ?? {}),
        pages: Object.entries((op.responses ?? {}) as Record<string, Json>)
          .filter(([, r]) => (r.content as Json | undefined)?.['text/html'] !== undefined)
          .map(([status]) => Number(status)),
      });
    }
  }
  return ops;
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) goes as U+FFFD. */
const encode = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/gu, '\ufffd'));

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  pages: number[];
}

const hostileText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'null',
    '00000000-0000-0000-0000-000000000000',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    'a\r\nX-Injected: 1',
    '\u0000',
    '\ud800',
    '%00',
    '%zz',
    '{"$ne":null}',
    'javascript:alert(1)',
    'http://169.254.169.254/latest/meta-data/',
    'x'.repeat(5000),
  ),
);

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileText, { maxLength: 3 }),
);

const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{',
    '['.repeat(20_000),
    '{"a":1,"a":2}',
    '\u0000',
    'a=1&b=2',
  ),
);

/**
 * A request for one of `ops`. `ids` are the path and body values worth trying besides garbage: the
 * caller's own ids (to get past the 404 into deeper code) and another tenant's (isolation).
 */
export function fuzzRequest(
  ops: Operation[],
  ids: string[],
  authorizations: string[],
): fc.Arbitrary<FuzzRequest> {
  const idLike = fc.oneof(fc.constantFrom(...ids), fc.uuid(), hostileText);
  return fc
    .record({
      op: fc.constantFrom(...ops),
      pathValue: idLike,
      encodePath: fc.boolean(),
      query: fc.array(fc.tuple(fc.nat(), idLike), { maxLength: 4 }),
      headerValues: fc.array(fc.tuple(fc.nat(), hostileText), { maxLength: 2 }),
      authorization: fc.option(fc.constantFrom(...authorizations), { freq: 5 }),
      body: fc.oneof(
        fc.array(fc.tuple(fc.nat(), fc.oneof(jsonValue, fc.constantFrom(...ids))), {
          maxLength: 6,
        }),
        jsonValue,
        rawBody.map((s) => ({ raw: s })),
      ),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/problem+json',
        '',
        'application/json\r\nx: y',
      ),
    })
    .map(({ op, pathValue, encodePath, query, headerValues, authorization, body, contentType }) => {
      const segment = encodePath ? encode(pathValue) : pathValue.replace(/[\s#?/]/g, '');
      const path = op.path.replace(/\{[^}]+\}/g, segment || 'x');
      const names = [...op.query, 'unknown'];
      const qs = query
        .map(([i, v]) => `${encode(names[i % names.length]!)}=${encode(v)}`)
        .join('&');
      const headers: Record<string, string> = {};
      if (authorization !== null) headers.authorization = authorization;
      const headerNames = [...op.headers, 'if-match', 'if-none-match', 'accept'];
      for (const [i, v] of headerValues)
        headers[headerNames[i % headerNames.length]!] = v.replace(/[^\x20-\x7e]/g, '');
      let payload: string | undefined;
      if (op.method !== 'GET' && op.method !== 'DELETE') {
        if (Array.isArray(body) && body.every((e) => Array.isArray(e) && e.length === 2)) {
          const fields = [...op.body, 'unknown_field'];
          payload = JSON.stringify(
            Object.fromEntries(body.map(([i, v]) => [fields[(i as number) % fields.length], v])),
          );
        } else if (body && typeof body === 'object' && 'raw' in body) payload = String(body.raw);
        else payload = JSON.stringify(body);
        if (contentType !== '') headers['content-type'] = contentType.replace(/[\r\n]/g, ' ');
      }
      return {
        method: op.method,
        url: qs ? `${path}?${qs}` : path,
        headers,
        payload,
        pages: op.pages,
      };
    });
}
