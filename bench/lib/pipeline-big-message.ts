// The pipeline bench's 25 MB message, ingested in a child process of its own so the parent's heap
// does not blur the peak RSS it reports.
import { randomBytes } from 'node:crypto';

import { freshTenant, withStack } from './pipeline-stack.js';

/** Child-process part: ingest one 25 MB message and report RSS figures as JSON on stdout. */
export async function bigMessageChild(): Promise<void> {
  await withStack(async (c) => {
    const t = await freshTenant(c);
    const attachment = randomBytes(18 * 1024 * 1024)
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(
      [
        'From: big@client.example',
        'To: support@bench.example',
        'Subject: big one',
        'Message-ID: <big@client.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'see attached',
        '--b',
        'Content-Type: application/octet-stream; name="blob.bin"',
        'Content-Disposition: attachment; filename="blob.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        attachment,
        '--b--',
        '',
      ].join('\r\n'),
    );
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const outcome = await c.pipeline.ingest({ ...t, providerMessageId: 'big', raw });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mb = (n: number) => n / 2 ** 20;
    process.stdout.write(
      JSON.stringify({
        status: outcome.status,
        sizeMB: mb(raw.length),
        baselineMB: mb(baseline),
        peakMB: mb(peak),
        deltaMB: mb(peak - baseline),
        ratio: (peak - baseline) / raw.length,
      }) + '\n',
    );
  });
}
