// The contract, checked from the outside: a client generated from openapi.yaml (openapi-typescript
// types + openapi-fetch, `npm run openapi` writes the types) runs the README's first-ticket flow
// against the real server on a real port, and every response — errors and downloads included — is
// validated against the operation's declared status, media type and schema.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import createClient, { type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { importMail } from '../../src/import/import-mail.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { type ClamdHandle, startClamd } from '../helpers/clamd.js';
import { repoRoot } from '../helpers/cli.js';
import { operatorKey } from '../helpers/tenants.js';
import type { paths } from './openapi-types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const checked: string[] = [];
const failures: string[] = [];
let spec: Json;
let ajv: Ajv2020;

/** Validates one response against openapi.yaml: declared status, media type, and body schema. */
async function checkResponse(
  method: string,
  schemaPath: string,
  response: Response,
): Promise<void> {
  const op = spec.paths[schemaPath]?.[method.toLowerCase()];
  const where = `${method} ${schemaPath} → ${response.status}`;
  checked.push(where);
  const declared = op?.responses?.[String(response.status)];
  if (!declared) return void failures.push(`${where}: status not declared`);
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const content = declared.content as Json | undefined;
  if (!content) return;
  const ranges = Object.keys(content).map(
    (k) => new RegExp(`^${k.replace(/[.+]/g, '\\$&').replace(/\*/g, '[^/]+')}$`),
  );
  if (!ranges.some((r) => r.test(mediaType)))
    return void failures.push(
      `${where}: content-type ${mediaType} not declared (${Object.keys(content).join(', ')})`,
    );
  if (!/json$/.test(mediaType)) return;
  const body: unknown = await response.clone().json();
  const pointer = `openapi#/paths/${schemaPath.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${response.status}/content/${mediaType.replace(/\//g, '~1')}/schema`;
  const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
  if (!validate(body)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
}

const recorder: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    await checkResponse(request.method, schemaPath, response);
    return undefined;
  },
};

let t: TestApp;
let clamd: ClamdHandle | null;
let base: string;

beforeAll(async () => {
  spec = parse(await readFile(path.join(repoRoot, 'openapi.yaml'), 'utf8')) as Json;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(spec, 'openapi');
  clamd = await startClamd();
  t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    ...(clamd
      ? { CLAMD_HOST: clamd.host, CLAMD_PORT: String(clamd.port) }
      : { CLAMD_PORT: '1', CLAMD_TIMEOUT_MS: '1000' }),
  });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await clamd?.dispose();
});

describe('generated client: first ticket', () => {
  it('runs the README flow and every response matches openapi.yaml', async () => {
    const operator = createClient<paths>({
      baseUrl: base,
      headers: { authorization: `Bearer ${operatorKey}` },
    });
    operator.use(recorder);
    const created = await operator.POST('/v1/tenants', { body: { name: 'Acme Support' } });
    expect(created.response.status).toBe(201);
    const token = created.data!.api_key.token;

    const api = createClient<paths>({
      baseUrl: base,
      headers: { authorization: `Bearer ${token}` },
    });
    api.use(recorder);
    expect((await api.GET('/healthz')).response.status).toBe(200);
    // Errors are problem+json: a typo, a wrong media type, a missing ticket.
    const typo = await api.POST('/v1/mailboxes', {
      body: { provider: 'local', adress: 'x@acme.example' } as never,
    });
    expect(typo.error).toMatchObject({ code: 'validation_failed' });
    const wrongType = await api.POST('/v1/mailboxes', {
      body: 'provider=local' as never,
      bodySerializer: (b) => b as unknown as string,
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.response.status).toBe(415);
    expect(
      (
        await api.GET('/v1/tickets/{id}', {
          params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
        })
      ).response.status,
    ).toBe(404);

    const mailbox = await api.POST('/v1/mailboxes', {
      body: { provider: 'local', address: 'support@acme.example' },
    });
    expect(mailbox.response.status).toBe(201);
    const summary = await importMail(t.container, path.join(repoRoot, 'samples'), mailbox.data!.id);
    expect(summary.messages).toBe(4);

    const list = await api.GET('/v1/tickets', { params: { query: { status: 'open' } } });
    expect(list.data!.items.length).toBe(3);
    const printer = list.data!.items.find((x) => /label printer/.test(x.subject ?? ''))!;
    const ticket = await api.GET('/v1/tickets/{id}', { params: { path: { id: printer.id } } });
    expect(ticket.data!.messages.length).toBe(2);

    // Downloads: the original .eml as text, the attachment as bytes (or 409 while no scanner said clean).
    const raw = await api.GET('/v1/messages/{id}/raw', {
      params: { path: { id: ticket.data!.messages[0]!.id } },
      parseAs: 'text',
    });
    expect(raw.response.headers.get('content-type')).toMatch(/^message\/rfc822/);
    expect(raw.data).toMatch(/^From: Dana Reyes/m);
    const attachment = ticket.data!.messages.flatMap((m) => m.attachments)[0]!;
    const bytes = await api.GET('/v1/attachments/{id}/content', {
      params: { path: { id: attachment.id } },
      parseAs: 'arrayBuffer',
    });
    if (clamd) {
      expect(bytes.response.status).toBe(200);
      expect(Buffer.from(bytes.data!).toString('utf8')).toMatch(/^Darkness: 0/);
    } else {
      expect(bytes.response.status).toBe(409);
    }

    const metrics = await operator.GET('/metrics', { parseAs: 'text' });
    expect(metrics.data).toMatch(/inlet_http_request_duration_seconds/);

    expect(failures).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(11);
  });
});
