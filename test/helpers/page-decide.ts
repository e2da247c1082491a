// Fixtures for the page decide step without a database: page items prepared from raw mail, an empty
// page lookup, and a driver that answers its requests for ticket numbers in order.
import type { IngestOutcome, PageItem, StoredOutcome } from '../../src/ingest/ingest-types.js';
import { decidePage, type PagePlan, type TicketToOpen } from '../../src/ingest/page-decide.js';
import { makeIndexer } from '../../src/ingest/page-indexer.js';
import { keyPage } from '../../src/ingest/page-keys.js';
import { prepareMessage } from '../../src/ingest/prepare.js';
import type { ScanVerdict } from '../../src/ingest/scan-attachments.js';
import { type AuthservTrust, trustNothing } from '../../src/ingest/stages/sender-auth.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import type { PageLookup } from '../../src/store/page-lookup-store.js';

export const indexKey = Buffer.alloc(32, 7);
export const index = makeIndexer(indexKey);
export const hex = (b: Buffer) => b.toString('hex');
export const ownId = 'reply-1@acme.example';

export const emptyLookup = (): PageLookup => ({
  known: new Map(),
  dedupe: new Map(),
  legacy: new Map(),
  own: new Set(),
  threads: new Map(),
  tokens: new Map(),
  loopCounts: new Map(),
  delivered: new Set(),
});

let seq = 0;
export async function item(
  raw: Buffer,
  opts: { providerMessageId?: string; threadId?: string; scans?: ScanVerdict['status'][] } = {},
): Promise<PageItem> {
  const prepared = await prepareMessage(raw, defaultIngestLimits);
  return {
    input: {
      tenantId: 'tenant',
      mailboxId: 'mailbox',
      providerMessageId: opts.providerMessageId ?? `p${++seq}`,
      providerThreadId: opts.threadId ?? null,
      raw,
    },
    prepared,
    scans: prepared.attachments.map((_, i) => ({
      status: opts.scans?.[i] ?? 'clean',
      detail: null,
    })),
  };
}

/** Runs the decision, answering each request for ticket numbers with 1000, 1001, … in order. */
export function decide(
  items: PageItem[],
  lookup = emptyLookup(),
  delivered: string[] = [],
  trust: AuthservTrust = trustNothing,
): { plan: PagePlan; yielded: TicketToOpen[][] } {
  let n = 1000;
  let ids = 0;
  const yielded: TicketToOpen[][] = [];
  const run = decidePage({
    mailboxId: 'mailbox',
    keyed: keyPage(items, index, indexKey),
    lookup,
    delivered: new Set(delivered),
    index,
    isOwnMessageId: (id) => id === ownId,
    newId: () => `ticket-${++ids}`,
    trust,
  });
  let step = run.next();
  while (!step.done) {
    yielded.push(step.value);
    step = run.next(new Map(step.value.map((t) => [t.id, n++])));
  }
  return { plan: step.value, yielded };
}

export const stored = (o: IngestOutcome | undefined): StoredOutcome => {
  if (o?.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(o)}`);
  return o;
};

export function dsn(originalId: string): Buffer {
  return Buffer.from(
    `From: Mail Delivery System <MAILER-DAEMON@mx.client.example>
To: support@acme.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-${++seq}@mx.client.example>
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

Your message could not be delivered to pat@client.example.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.client.example

Final-Recipient: rfc822; pat@client.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--r
Content-Type: text/rfc822-headers

From: Acme Support <support@acme.example>
To: pat@client.example
Message-ID: ${originalId}
Subject: Re: Printer on fire
--r--
`.replace(/\n/g, '\r\n'),
  );
}
