// pino with redaction. Logs must never carry credentials or mail content (docs/security-controls.md#promises),
// so the redaction list is deliberately broad: any field with one of these names is censored at
// the top level and up to three levels deep, whatever object it sits in.
import { pino, type Logger, type DestinationStream } from 'pino';

const sensitiveKeys = [
  'authorization', 'cookie', 'set-cookie', 'password', 'pass', 'secret', 'token', 'accessToken', 'access_token',
  'refreshToken', 'refresh_token', 'idToken', 'id_token', 'apiKey', 'api_key', 'clientSecret', 'client_secret',
  'code_verifier', 'masterKeys', 'operatorKey', 'key',
  // mail content
  'subject', 'body', 'text', 'html', 'raw', 'content', 'snippet', 'from', 'to', 'cc', 'bcc', 'replyTo', 'address',
  'displayName', 'display_name', 'filename',
];

export function redactPaths(): string[] {
  const paths: string[] = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'];
  for (const k of sensitiveKeys) {
    const seg = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
    const join = (prefix: string) => (seg.startsWith('[') ? `${prefix}${seg}` : `${prefix}.${seg}`);
    // pino cannot address a bracketed key at the top level, so hyphenated names start one level down.
    if (!seg.startsWith('[')) paths.push(seg);
    paths.push(join('*'), join('*.*'), join('*.*.*'));
  }
  return paths;
}

export function makeLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      redact: { paths: redactPaths(), censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
      },
      base: { service: 'inlet' },
    },
    opts.destination,
  );
}

export type { Logger };
