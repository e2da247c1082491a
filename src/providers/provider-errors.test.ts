import { describe, expect, it } from 'vitest';

import { AppError } from '../errors.js';
import {
  classifyProviderError,
  notDelivered,
  parseRetryAfter,
  ProviderError,
  toProviderError,
} from './provider-errors.js';

describe('classifyProviderError', () => {
  it('treats revoked or rejected credentials as auth_revoked', () => {
    expect(
      classifyProviderError({
        authenticationFailed: true,
        serverResponseCode: 'AUTHENTICATIONFAILED',
      }),
    ).toBe('auth_revoked');
    expect(
      classifyProviderError({
        response: {
          status: 400,
          data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
        },
      }),
    ).toBe('auth_revoked');
    expect(classifyProviderError({ code: 'EAUTH', responseCode: 535 })).toBe('auth_revoked');
    expect(
      classifyProviderError({
        response: { status: 401, data: { error: { code: 401, message: 'Invalid Credentials' } } },
      }),
    ).toBe('auth_revoked');
    expect(
      classifyProviderError({
        response: {
          status: 403,
          data: { error: { errors: [{ reason: 'insufficientPermissions' }] } },
        },
      }),
    ).toBe('auth_revoked');
  });

  it('tells Google rate limits (403 or 429) from permission errors', () => {
    const gmail403 = {
      response: {
        status: 403,
        data: {
          error: {
            code: 403,
            errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }],
          },
        },
      },
    };
    expect(classifyProviderError(gmail403)).toBe('rate_limited');
    expect(
      classifyProviderError({ response: { status: 429, data: { error: { code: 429 } } } }),
    ).toBe('rate_limited');
  });

  it('honours Retry-After from Graph (Headers object) and plain header maps', () => {
    const graph = toProviderError(
      { statusCode: 429, code: 'TooManyRequests', headers: new Headers({ 'Retry-After': '7' }) },
      'Graph delta',
    );
    expect(graph.kind).toBe('rate_limited');
    expect(graph.retryAfterMs).toBe(7000);
    const busy = toProviderError({ statusCode: 503, headers: { 'retry-after': '2' } }, 'Graph get');
    expect(busy.kind).toBe('rate_limited');
    expect(busy.retryAfterMs).toBe(2000);
  });

  it('recognises expired delta/sync state as cursor_expired', () => {
    expect(classifyProviderError({ statusCode: 410 })).toBe('cursor_expired');
    expect(classifyProviderError({ statusCode: 400, code: 'syncStateNotFound' })).toBe(
      'cursor_expired',
    );
  });

  it('retries network failures and server errors, not malformed requests', () => {
    expect(classifyProviderError({ code: 'ECONNRESET' })).toBe('transient');
    expect(classifyProviderError({ code: 'NoConnection' })).toBe('transient');
    expect(classifyProviderError({ response: { status: 502 } })).toBe('transient');
    expect(classifyProviderError({ responseCode: 451, code: 'EMESSAGE' })).toBe('transient');
    expect(classifyProviderError({ responseCode: 550, code: 'EENVELOPE' })).toBe('permanent');
    expect(
      classifyProviderError({
        response: {
          status: 400,
          data: { error: { code: 400, errors: [{ reason: 'badRequest' }] } },
        },
      }),
    ).toBe('permanent');
    expect(classifyProviderError({ responseStatus: 'NO', serverResponseCode: 'UNAVAILABLE' })).toBe(
      'transient',
    );
    expect(classifyProviderError({ responseStatus: 'NO' })).toBe('permanent');
  });

  it('maps settings errors and keeps an existing ProviderError as it is', () => {
    expect(classifyProviderError(new AppError('imap_folder_missing', 'gone', undefined, 422))).toBe(
      'permanent',
    );
    expect(classifyProviderError(new AppError('imap_unreachable', 'down', undefined, 422))).toBe(
      'transient',
    );
    expect(classifyProviderError(new ProviderError('cursor_expired', 'x'))).toBe('cursor_expired');
  });
});

describe('toProviderError', () => {
  it('does not copy the original message, which may quote addresses from the server', () => {
    const err = toProviderError(
      Object.assign(new Error('550 5.1.1 <jane@customer.test>: Recipient unknown'), {
        responseCode: 550,
        code: 'EENVELOPE',
      }),
      'SMTP send',
    );
    expect(err.message).not.toContain('jane@customer.test');
    expect(err.code).toBe('provider_permanent');
    expect(err.cause).toBeInstanceOf(Error);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('notDelivered', () => {
  const wrap = (e: unknown) => toProviderError(e, 'reply send');
  it('is true only when the failure proves nothing was delivered', () => {
    // The server answered: a refusal of the transaction.
    expect(notDelivered(wrap(Object.assign(new Error('x'), { responseCode: 451 })))).toBe(true);
    expect(notDelivered(wrap(Object.assign(new Error('x'), { status: 429 })))).toBe(true);
    expect(notDelivered(wrap(Object.assign(new Error('x'), { statusCode: 503 })))).toBe(true);
    // The connection failed before the last byte of the message was written.
    expect(
      notDelivered(
        wrap(Object.assign(new Error('x'), { code: 'ECONNRESET', messageIncomplete: true })),
      ),
    ).toBe(true);
    // After the whole message, with no answer, or through a gateway: unknown.
    expect(notDelivered(wrap(Object.assign(new Error('x'), { code: 'ECONNRESET' })))).toBe(false);
    expect(notDelivered(wrap(Object.assign(new Error('x'), { status: 504 })))).toBe(false);
    expect(notDelivered(wrap(Object.assign(new Error('x'), { status: 408 })))).toBe(false);
    expect(notDelivered(new ProviderError('transient', 'no cause'))).toBe(false);
  });
});
