// pino with redaction. Logs must never carry credentials or mail content (docs/security-controls.md#promises),
// so the redaction list is deliberately broad: any field with one of these names is censored at
// the top level and up to three levels deep, whatever object it sits in.
import { type DestinationStream, type Logger, pino } from 'pino';

const sensitiveKeys = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'pass',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'apiKey',
  'api_key',
  'clientSecret',
  'client_secret',
  'code_verifier',
  'masterKeys',
  'operatorKey',
  'key',
  // mail content
  'subject',
  'body',
  'text',
  'html',
  'raw',
  'content',
  'snippet',
  'from',
  'to',
  'cc',
  'bcc',
  'replyTo',
  'address',
  'displayName',
  'display_name',
  'filename',
];

export function redactPaths(): string[] {
  const paths: string[] = [
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["x-api-key"]',
    'res.headers["set-cookie"]',
  ];
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
export function requestSummary(req: {
  method?: string;
  url?: string;
  id?: unknown;
}): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url : '';
  const q = url.indexOf('?');
  return {
    method: req.method,
    url: q < 0 ? url : `${url.slice(0, q)}?[redacted]`,
    ...(req.id !== undefined ? { id: req.id } : {}),
  };
}

/**
 * Logs go to stderr, so stdout carries only what a command prints for people and scripts (an API
 * key, an import summary). Without a destination: JSON lines on stderr.
 */
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
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/**
 * Readable lines (pino-pretty, a development dependency) when a person watches stderr outside
 * production; JSON otherwise, and always where pino-pretty is not installed (the production image).
 */
export async function consoleDestination(
  production: boolean,
): Promise<DestinationStream | undefined> {
  if (production || !process.stderr.isTTY) return undefined;
  try {
    const { default: pretty } = await import('pino-pretty');
    return pretty({
      destination: 2,
      sync: true,
      colorize: true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,service',
    });
  } catch {
    return undefined;
  }
}

export type { Logger };
