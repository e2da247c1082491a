// A browser's part of the consent flow: it opens Inlet's one-time consent URL (keeping the binding
// cookie Inlet sets) and later brings that cookie to the provider's callback, as a real browser
// does. A second Browser is "a different browser": it holds no cookie.
import type { TestApp } from './app.js';

export interface Browser {
  /** The Cookie header this browser sends to Inlet. */
  cookieHeader(): string;
  /** Opens a consent URL; returns the provider URL it redirects to (throws on anything else). */
  openConsent(consentUrl: string): Promise<URL>;
  /** GET on Inlet with this browser's cookies; keeps any cookie the answer sets. */
  get(
    t: TestApp,
    pathAndQuery: string,
  ): Promise<{ status: number; location: URL | null; body: string }>;
}

export function makeBrowser(t: TestApp): Browser {
  const jar = new Map<string, string>();
  const keep = (setCookie: string | string[] | undefined) => {
    for (const line of [setCookie ?? []].flat()) {
      const [pair, ...attrs] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, pair!.slice(at + 1).trim());
    }
  };
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const get: Browser['get'] = async (app, pathAndQuery) => {
    const res = await app.app.inject({
      method: 'GET',
      url: pathAndQuery,
      headers: jar.size ? { cookie: cookieHeader() } : {},
    });
    keep(res.headers['set-cookie']);
    const loc = res.headers.location;
    return {
      status: res.statusCode,
      location: typeof loc === 'string' ? new URL(loc) : null,
      body: res.body,
    };
  };
  return {
    cookieHeader,
    get: get,
    async openConsent(consentUrl) {
      const u = new URL(consentUrl);
      const res = await get(t, `${u.pathname}${u.search}`);
      if (res.status !== 303 || !res.location)
        throw new Error(`consent URL answered ${res.status}: ${res.body}`);
      return res.location;
    },
  };
}
