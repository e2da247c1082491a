// The one list of provider modules. A kind missing here is a compile error (`satisfies` over every
// ProviderKind); a new provider adds its folder and one line below (docs/providers.md). This is
// the only file outside a provider's folder that imports the provider's files.
import type { ProviderCapabilities } from './capabilities.js';
import { gmailModule } from './gmail/gmail-module.js';
import { imapModule } from './imap/imap-module.js';
import { localModule } from './local/local-module.js';
import { microsoftModule } from './microsoft/microsoft-module.js';
import { type ProviderKind, providerKinds } from './provider-kind.js';
import type { ConsentAdapter, ProviderContext, ProviderModule } from './provider-module.js';

export { defaultBackfill } from './backfill.js';
export {
  type ImapConnectInput,
  type ImapConnector,
  makeImapConnector,
} from './imap/imap-connect.js';

export const providerModules = {
  local: localModule,
  imap: imapModule,
  gmail: gmailModule,
  graph: microsoftModule,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module's own types are checked where it is declared
} as const satisfies { [_K in ProviderKind]: ProviderModule<any, any, any> };

type Modules = typeof providerModules;
type RuntimeOf<M> = M extends ProviderModule<infer _S, infer R, infer _P> ? R : never;
type PushOf<M> = M extends ProviderModule<infer _S, infer _R, infer P> ? P : never;

/** Each provider's process-wide runtime (undefined when the operator has not configured it). */
export type ProviderRuntimes = { [K in ProviderKind]?: RuntimeOf<Modules[K]> };
/** Each provider's push receiver, for its webhook route. */
export type PushReceivers = { [K in ProviderKind]: PushOf<Modules[K]> };

/** The module of a kind, with its settings and runtime types erased (callers pass them through). */
export function moduleOf(kind: ProviderKind): ProviderModule<unknown, unknown> {
  return providerModules[kind] as unknown as ProviderModule<unknown, unknown>;
}

export const allModules = (): ProviderModule<unknown, unknown>[] => providerKinds.map(moduleOf);

export const capabilitiesOf = (kind: ProviderKind): ProviderCapabilities =>
  providerModules[kind].capabilities;

/** Kinds with this capability, for SQL that selects mailboxes by what they can do. */
export const kindsWhere = (capability: keyof ProviderCapabilities): ProviderKind[] =>
  providerKinds.filter((k) => providerModules[k].capabilities[capability]);

export function consentAdapter(kind: ProviderKind): ConsentAdapter<unknown, unknown> | undefined {
  return moduleOf(kind).consent;
}

/** Starts every module's runtime once per process (composition root). */
export function startProviders(ctx: ProviderContext): ProviderRuntimes {
  const out: Partial<Record<ProviderKind, unknown>> = {};
  for (const kind of providerKinds) {
    if (providerModules[kind].kind !== kind)
      throw new Error(
        `registry: the module under ${kind} says it is ${providerModules[kind].kind}`,
      );
    const runtime = moduleOf(kind).start(ctx);
    if (runtime !== undefined) out[kind] = runtime;
  }
  return out as ProviderRuntimes;
}

/** Builds every module's push receiver once per process. */
export function startPushReceivers(
  ctx: ProviderContext,
  runtimes: ProviderRuntimes,
): PushReceivers {
  const out: Partial<Record<ProviderKind, unknown>> = {};
  for (const kind of providerKinds) {
    const m = moduleOf(kind);
    out[kind] = m.push?.(ctx, (runtimes as Partial<Record<ProviderKind, unknown>>)[kind]);
  }
  return out as PushReceivers;
}
