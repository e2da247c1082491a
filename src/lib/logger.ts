// pino with redaction. Logs must never carry credentials or mail content (DESIGN.md promise 8),
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

/** What a request log line says about the request: never its query string, which can carry an
 *  OAuth code and state or a searched address. */
export function requestSummary(req: { method?: string; url?: string; id?: unknown }): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url : '';
  const q = url.indexOf('?');
  return { method: req.method, url: q < 0 ? url : `${url.slice(0, q)}?[redacted]`, ...(req.id !== undefined ? { id: req.id } : {}) };
}

export function makeLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      redact: { paths: redactPaths(), censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
        req: requestSummary,
      },
      base: { service: 'inlet' },
    },
    opts.destination,
  );
}

export type { Logger };
