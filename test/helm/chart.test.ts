// The Helm chart: values against the schema, the schema against src/config.ts, and what the real
// Helm renders (names, kinds, secrets, probes, the structure of each workload).
import { randomBytes } from 'node:crypto';

import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { loadConfig, variables } from '../../src/config.js';
import { find, helmMissing, type Manifest,render, renderError } from './helm-render.js';
import { envEntries, objects, readChartFile, templateFiles } from './template-text.js';

// Parsed YAML/JSON of the chart's own files, whose shape the schema test pins down.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = Record<string, any>;
const values = parse(readChartFile('values.yaml')) as Values;
const schema = JSON.parse(readChartFile('values.schema.json')) as Values;
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

const byName = new Map(variables.map((v) => [v.name as string, v]));
const secretNames = variables.filter((v) => 'secret' in v && v.secret).map((v) => v.name as string);
// HOST, PORT and METRICS_PORT are decided by the chart (container ports); INLET_DATA_DIR and
// INLET_EMBEDDED_PG_PORT only matter without a database.
const chartDecided = ['HOST', 'PORT', 'METRICS_PORT', 'INLET_DATA_DIR', 'INLET_EMBEDDED_PG_PORT'];

const templates = templateFiles();
const podSpec = (doc: Manifest) => doc.spec.template.spec as Values;

function errorsFor(doc: unknown): ErrorObject[] {
  return validate(doc) ? [] : (validate.errors ?? []);
}
const withValues = (patch: (v: Values) => void): Values => {
  const copy = structuredClone(values);
  patch(copy);
  return copy;
};

describe('values.yaml and values.schema.json', () => {
  it('the default values validate against the schema', () => {
    expect(errorsFor(values)).toEqual([]);
  });

  it.each([
    ['a non-integer replica count', (v: Values) => { v.api.replicas = 'two'; }, '/api/replicas', 'type'],
    ['an unknown top-level key', (v: Values) => { v.replicaCount = 2; }, '', 'additionalProperties'],
    ['a secret in config', (v: Values) => { v.config.DATABASE_URL = 'postgres://u:p@db/inlet'; }, '/config', 'additionalProperties'],
    ['a log level the app rejects', (v: Values) => { v.config.LOG_LEVEL = 'verbose'; }, '/config/LOG_LEVEL', 'enum'],
    ['a development NODE_ENV', (v: Values) => { v.config.NODE_ENV = 'development'; }, '/config/NODE_ENV', 'enum'],
    ['a port out of range', (v: Values) => { v.config.CLAMD_PORT = 70000; }, '/config/CLAMD_PORT', 'maximum'],
    ['an unknown api key', (v: Values) => { v.api.replica = 3; }, '/api', 'additionalProperties'],
  ])('rejects %s', (_label, patch, instancePath, keyword) => {
    const errors = errorsFor(withValues(patch));
    expect(errors.map((e) => [e.instancePath, e.keyword])).toContainEqual([instancePath, keyword]);
  });

  it('config offers exactly the non-secret variables of src/config.ts, with the same bounds', () => {
    const props = schema.properties.config.properties as Record<string, Values>;
    const expected = variables
      .filter((v) => !('secret' in v && v.secret) && !chartDecided.includes(v.name))
      .map((v) => v.name);
    expect(Object.keys(props).sort()).toEqual([...expected].sort());
    for (const [name, prop] of Object.entries(props)) {
      const kind = byName.get(name)!.kind as Values;
      if (kind.type === 'enum') expect(kind.values).toEqual(expect.arrayContaining(prop.enum));
      if (kind.type === 'int') expect([prop.minimum, prop.maximum]).toEqual([kind.min, kind.max]);
    }
  });

  it('the default config is accepted by the application', () => {
    const env: Record<string, string> = {
      HOST: '0.0.0.0',
      PORT: String(values.api.containerPort),
      DATABASE_URL: 'postgres://inlet@db.example/inlet',
      INLET_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    };
    for (const [k, v] of Object.entries(values.config as Values)) env[k] = String(v);
    const config = loadConfig(env);
    expect(config.production).toBe(true);
  });

  it('holds no secret values', () => {
    const masterKeys = byName.get('INLET_MASTER_KEYS')!.kind as { pattern: RegExp };
    const strings = [...objects(values)].flatMap((o) => Object.values(o)).filter((x) => typeof x === 'string');
    expect(strings.filter((s) => /^postgres(ql)?:\/\//.test(s) || masterKeys.pattern.test(s))).toEqual([]);
    expect(values.existingSecret.name).toBe('');
  });
});

describe.skipIf(helmMissing)('what Helm renders', () => {
  const docs = helmMissing ? [] : render();
  const all = helmMissing ? [] : render({ files: ['ci/ci-values.yaml'] });
  const api = () => find(docs, 'Deployment', '-api');
  const worker = () => find(docs, 'Deployment', '-worker');
  const job = () => find(docs, 'Job', '-migrate');
  const configMap = () => find(docs, 'ConfigMap', 'inlet').data as Record<string, string>;
  const shutdownS = Number(values.config.SHUTDOWN_TIMEOUT_MS ?? 8000) / 1000;
  const containerEnv = (doc: Manifest) => envEntries([podSpec(doc)]);

  it('every variable the chart sets is declared in src/config.ts', () => {
    const names = [...Object.keys(configMap()), ...[api(), worker(), job()].flatMap((d) => containerEnv(d).map((e) => e.name as string))];
    expect(names.length).toBeGreaterThan(8);
    expect(names.filter((n) => !byName.has(n))).toEqual([]);
    expect(configMap()).toMatchObject({ HOST: '0.0.0.0', PORT: '3000', METRICS_PORT: String(values.metrics.port) });
  });

  it('secrets come only by secretKeyRef from the existing Secret; the owner URL only to the migrate Job', () => {
    for (const doc of all) for (const s of secretNames) expect(JSON.stringify(doc.kind === 'ConfigMap' ? doc.data : {}), s).not.toContain(s);
    for (const doc of [api(), worker(), job()]) {
      for (const e of containerEnv(doc).filter((x) => secretNames.includes(x.name as string))) {
        expect(e.value, String(e.name)).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name).toBe('inlet-secrets');
      }
    }
    const names = (doc: Manifest) => containerEnv(doc).map((e) => e.name);
    expect(names(api())).toContain('DATABASE_URL');
    expect(names(api())).not.toContain('DATABASE_OWNER_URL');
    expect(names(worker())).not.toContain('DATABASE_OWNER_URL');
    expect(names(job())).toContain('DATABASE_OWNER_URL');
    const optional = containerEnv(api()).filter((e) => e.valueFrom?.secretKeyRef?.optional).map((e) => e.name);
    expect(optional).toEqual(['INLET_OPERATOR_KEY', 'GOOGLE_CLIENT_SECRET', 'MICROSOFT_CLIENT_SECRET', 'VAULT_TOKEN']);
  });

  it('rendering without the Secret name fails with a sentence saying what to set', () => {
    expect(renderError({})).toMatch(/existingSecret\.name is required/);
  });

  it('the api serves with liveness on /healthz and readiness on /readyz, metrics on their own port', () => {
    const [c] = podSpec(api()).containers as Values[];
    expect(c!.args).toEqual(['serve']);
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c!.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }, { name: 'metrics', containerPort: values.metrics.port, protocol: 'TCP' }]);
    expect(find(docs, 'Service', 'inlet').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('the worker has health probes on the metrics listener and outlives its own shutdown timeout', () => {
    const [c] = podSpec(worker()).containers as Values[];
    expect(c!.args).toEqual(['worker']);
    expect(c!.ports).toEqual([{ name: 'metrics', containerPort: values.metrics.port, protocol: 'TCP' }]);
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(values.worker.terminationGracePeriodSeconds).toBeGreaterThan(shutdownS + 2);
    expect(values.api.terminationGracePeriodSeconds).toBeGreaterThan(shutdownS + 2 + values.api.preStopSleepSeconds);
  });

  it('the migrate Job is a pre-install/pre-upgrade hook that needs nothing the release creates', () => {
    const a = job().metadata.annotations as Record<string, string>;
    expect(a['helm.sh/hook']!.split(',').sort()).toEqual(['pre-install', 'pre-upgrade']);
    expect(a['helm.sh/hook-delete-policy']!.split(',').sort()).toEqual(['before-hook-creation', 'hook-succeeded']);
    const spec = podSpec(job());
    expect((spec.containers as Values[])[0]!.args).toEqual(['migrate']);
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.serviceAccountName).toBeUndefined();
    expect((spec.containers as Values[])[0]!.envFrom).toBeUndefined();
  });

  it('every Inlet pod runs non-root, read-only, without capabilities or a token', () => {
    for (const doc of [api(), worker(), job()]) {
      const spec = podSpec(doc);
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of spec.containers as Values[]) {
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      }
    }
  });

  it('the NetworkPolicy is on by default: DNS, the database, clamd and the providers\' ports, nothing else', () => {
    const np = find(docs, 'NetworkPolicy', 'inlet').spec;
    const ports = np.egress.map((r: Values) => r.ports.map((p: Values) => p.port));
    expect(ports).toEqual([[53, 53], [5432], [3310], [443, 993, 143, 465, 587, 25]]);
    expect(np.egress[3].to[0].ipBlock.except).toContain('169.254.169.254/32');
    expect(np.ingress).toEqual([{ ports: [{ port: 'metrics', protocol: 'TCP' }] }]);
  });

  it('optional resources are off by default and all render when switched on', () => {
    const kinds = (d: Manifest[]) => d.map((x) => `${x.kind}/${String(x.metadata.name).replace(/^inlet-?/, '')}`).sort();
    expect(kinds(docs)).toEqual(['ConfigMap/', 'Deployment/api', 'Deployment/worker', 'Job/migrate', 'NetworkPolicy/', 'NetworkPolicy/api', 'Service/', 'Service/metrics', 'ServiceAccount/']);
    expect(kinds(all)).toEqual(expect.arrayContaining([
      'HorizontalPodAutoscaler/api', 'HorizontalPodAutoscaler/worker', 'PodDisruptionBudget/api', 'PodDisruptionBudget/worker',
      'ServiceMonitor/', 'PrometheusRule/', 'ConfigMap/dashboard', 'Ingress/', 'Deployment/clamav', 'PersistentVolumeClaim/clamav', 'Service/clamav',
    ]));
  });

  it('the bundled clamd must accept streams as long as the largest message Inlet accepts', () => {
    const clamd = { 'existingSecret.name': 'inlet-secrets', 'clamav.enabled': 'true' };
    expect(renderError({ ...clamd, 'clamav.streamMaxLength': '49M' })).toMatch(
      /clamav\.streamMaxLength \(49M = 51380224 bytes\) must be at least config\.INGEST_MAX_MESSAGE_BYTES \(52428800\)/,
    );
    expect(renderError({ ...clamd, 'config.INGEST_MAX_MESSAGE_BYTES': '104857600' })).toMatch(/at least config\.INGEST_MAX_MESSAGE_BYTES \(104857600\)/);
    expect(renderError({ ...clamd, 'config.INGEST_MAX_MESSAGE_BYTES': '104857600', 'clamav.streamMaxLength': '100M' })).toBe('');
    expect(renderError({ ...clamd, 'clamav.streamMaxLength': '51200K' })).toBe('');
  });

  it('with every option on: digest pinning, extra env/volumes, clamd wired, ingress to the API', () => {
    const w = find(all, 'Deployment', '-worker');
    const c = podSpec(w).containers[0] as Values;
    expect(c.image).toBe(`inlet@${'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}`);
    expect(c.env.map((e: Values) => e.name)).toContain('NODE_OPTIONS');
    expect(c.envFrom).toContainEqual({ secretRef: { name: 'inlet-extra' } });
    expect(c.volumeMounts).toContainEqual({ name: 'ca', mountPath: '/etc/inlet-ca', readOnly: true });
    expect(podSpec(w).volumes.map((v: Values) => v.name)).toEqual(['tmp', 'ca']);
    expect(find(all, 'ConfigMap', 'inlet').data.CLAMD_HOST).toBe('inlet-clamav');
    const clamav = find(all, 'Deployment', '-clamav');
    expect(podSpec(clamav).containers.map((x: Values) => x.name)).toEqual(['clamd', 'freshclam']);
    expect(find(all, 'ConfigMap', '-clamav').data['clamd.conf']).toMatch(/AlertExceedsMax yes[\s\S]*AlertEncrypted yes|AlertEncrypted yes[\s\S]*AlertExceedsMax yes/);
    const np = find(all, 'NetworkPolicy', 'inlet').spec;
    expect(np.egress[2].to).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'inlet-clamav', 'app.kubernetes.io/instance': 'inlet' } } }]);
    const ing = find(all, 'Ingress', 'inlet').spec;
    expect(ing.rules[0].http.paths[0].backend.service).toEqual({ name: 'inlet', port: { name: 'http' } });
    const sm = find(all, 'ServiceMonitor', 'inlet').spec;
    expect(sm.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    expect(find(all, 'PrometheusRule', 'inlet').spec.groups[0].rules.length).toBeGreaterThan(5);
    expect(templates.length).toBeGreaterThan(10);
    expect([...objects(values)].length).toBeGreaterThan(10);
  });
});
