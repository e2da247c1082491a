// Builds RFC 5322 messages for tests. Plain strings on purpose: what a test sends is visible in it.
import { randomUUID } from 'node:crypto';

export interface TestAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  contentId?: string;
}

export interface TestMail {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: TestAttachment[];
  date?: string;
}

export function mail(m: TestMail = {}): Buffer {
  const boundary = `b-${randomUUID()}`;
  const head: string[] = [
    `From: ${m.from ?? 'Customer <customer@client.example>'}`,
    `To: ${m.to ?? 'support@acme.example'}`,
    ...(m.cc ? [`Cc: ${m.cc}`] : []),
    `Subject: ${m.subject ?? 'Help needed'}`,
    `Date: ${m.date ?? new Date().toUTCString()}`,
    ...(m.messageId === null
      ? []
      : [`Message-ID: <${m.messageId ?? `${randomUUID()}@client.example`}>`]),
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references ? [`References: ${m.references}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
  ];
  const parts: string[] = [];
  parts.push(
    `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${m.text ?? 'Hello, it does not work.'}`,
  );
  if (m.html) parts.push(`Content-Type: text/html; charset=utf-8\r\n\r\n${m.html}`);
  for (const a of m.attachments ?? []) {
    parts.push(
      [
        `Content-Type: ${a.contentType}; name="${a.filename}"`,
        `Content-Disposition: ${a.contentId ? 'inline' : 'attachment'}; filename="${a.filename}"`,
        ...(a.contentId ? [`Content-ID: <${a.contentId}>`] : []),
        'Content-Transfer-Encoding: base64',
        '',
        a.content.toString('base64').replace(/.{76}/g, '$&\r\n'),
      ].join('\r\n'),
    );
  }
  const body =
    parts.length === 1 && !m.attachments?.length
      ? [...head, parts[0]!].join('\r\n')
      : [
          ...head,
          `Content-Type: multipart/mixed; boundary="${boundary}"`,
          '',
          ...parts.map((p) => `--${boundary}\r\n${p}`),
          `--${boundary}--`,
          '',
        ].join('\r\n');
  return Buffer.from(body, 'utf8');
}
