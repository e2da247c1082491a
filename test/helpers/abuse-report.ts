// An ARF abuse report (RFC 5965) as an ISP's feedback loop sends it: the report part and the
// headers of the message a recipient marked as spam. Plain text on purpose, like test/helpers/mail.ts.
import { randomUUID } from 'node:crypto';

/** `to` receives the report; `original` is the reported message's header block. */
export const abuseReport = (to: string, original: string): string =>
  `From: Feedback Loop <fbl@isp.example>
To: ${to}
Subject: Abuse report
Message-ID: <${randomUUID()}@isp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="f"

--f
Content-Type: text/plain

A recipient marked this message as spam.
--f
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: isp-fbl/1.0
Version: 1

--f
Content-Type: text/rfc822-headers

${original}
--f--
`.replace(/\r?\n/g, '\r\n');
