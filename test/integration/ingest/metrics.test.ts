import { afterAll, beforeAll, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { operatorKey } from '../../helpers/tenants.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

test('/metrics counts ingest outcomes for the operator, with no tenant, mailbox or mail data in it', async () => {
  const raw = mail({
    subject: 'METRICSMARKER',
    from: 'metrics-person@client.example',
    attachments: [
      { filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('metrics attachment') },
    ],
  });
  await f.ingest(raw, { providerMessageId: 'm-1' });
  await f.ingest(raw, { providerMessageId: 'm-1' });
  expect((await f.t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  const res = await f.t.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${operatorKey}` },
  });
  expect(res.statusCode).toBe(200);
  expect(res.body).toMatch(/inlet_ingest_messages_total\{outcome="stored"\} 1/);
  expect(res.body).toMatch(/inlet_ingest_messages_total\{outcome="duplicate"\} 1/);
  expect(res.body).toMatch(/inlet_ingest_seconds_count 2/);
  // clamd is down in this fixture: pending verdicts are never reused, so both deliveries were sent to it.
  expect(res.body).toMatch(/inlet_attachment_verdicts_total\{source="clamd"\} 2/);
  for (const secret of [f.tenant.id, f.mailbox, 'METRICSMARKER', 'metrics-person'])
    expect(res.body).not.toContain(secret);
});
