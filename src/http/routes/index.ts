// Every route module, registered in one place so the OpenAPI document sees them all.
import type { Api, ApiDeps } from '../api.js';
import { healthzRoute } from './health/healthz.js';
import { readyzRoute } from './health/readyz.js';

export function registerRoutes(app: Api, deps: ApiDeps): void {
  healthzRoute(app);
  readyzRoute(app, deps);
}
