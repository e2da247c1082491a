// `inlet serve`: the REST API. Outside production it applies pending migrations first, so the
// embedded default works straight after `npm start`.
import { buildApp } from '../app.js';
import type { Container } from '../container.js';

export async function startServer(c: Container): Promise<() => Promise<void>> {
  const app = await buildApp(c, {
    logger: c.logger,
    trustProxyHops: c.config.trustProxyHops,
    http: c.config.http,
  });
  // One line with where to go next, instead of Fastify's own "Server listening at".
  await app.listen({
    host: c.config.host,
    port: c.config.port,
    listenTextResolver: (address) =>
      `inlet is listening at ${address} (API reference: ${c.config.publicUrl}/docs)`,
  });
  return async () => {
    // Stop accepting, let in-flight requests finish; bounded by the grace period.
    await Promise.race([
      app.close(),
      new Promise((r) => setTimeout(r, c.config.shutdownTimeoutMs)),
    ]);
  };
}
