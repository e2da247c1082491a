// The Helm chart checked without a helm binary: values against the schema, the schema and the
// templates against src/config.ts (names, kinds, secrets), and the structure of each workload.
import { randomBytes } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, variables } from '../../src/config.js';
import {
  TPL, defineBody, envEntries, objects, readChartFile, skeletonDocs, stripActions, templateFiles,
} from './template-text.js';

// Parsed YAML/JSON of the chart's own files, whose shape the schema test pins down.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = Record<string, any>;
const values = parse(readChartFile('values.yaml')) as Values;
const schema = JSON.parse(readChartFile('values.schema.json')) as Values;
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

const byName = new Map(variables.map((v) => [v.name as string, v]));
const secretNames = variables.filter((v) => 'secret' in v && v.secret).map((v) => v.name as string);
// HOST and PORT are decided by the chart (container port); INLET_DATA_DIR only matters without a database.
const chartDecided = ['HOST', 'PORT'];

const templates = templateFiles();
const docsByFile = new Map(templates.map((t) => [t.file, skeletonDocs(t.text)]));
const allDocs = [...docsByFile.values()].flat();
const docOfKind = (kind: string, file: string) => {
  const doc = docsByFile.get(file)?.find((d) => d.kind === kind);
  if (!doc) throw new Error(`${file} has no ${kind}`);
  return doc as Values;
};
const podSpec = (doc: Values) => doc.spec.template.spec as Values;

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
      .filter((v) => !('secret' in v && v.secret) && !chartDecided.includes(v.name) && v.name !== 'INLET_DATA_DIR')
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

describe('environment wiring', () => {
  const secretEnv = () => envEntries([{ env: parse(stripActions(defineBody('inlet.secretEnv'))) }]);
  const configDataKeys = () =>
    [...defineBody('inlet.configData').matchAll(/^([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);

  it('every variable named in templates or values.config is declared in src/config.ts', () => {
    const names = [
      ...envEntries(allDocs).map((e) => e.name).filter((n) => n !== TPL),
      ...secretEnv().map((e) => e.name),
      ...configDataKeys(),
      ...Object.keys(values.config as Values),
    ];
    expect(names.length).toBeGreaterThan(8);
    expect(names.filter((n) => typeof n !== 'string' || !byName.has(n))).toEqual([]);
  });

  it('env names decided at render time come only from inlet.configData', () => {
    const dynamic = envEntries(allDocs).filter((e) => e.name === TPL).length;
    const ranges = templates
      .map((t) => t.text.match(/range \$name, \$value := \(include "inlet\.configData" \. \| fromYaml\)/g)?.length ?? 0)
      .reduce((a, b) => a + b, 0);
    expect(dynamic).toBe(ranges);
  });

  it('the chart itself sets HOST and PORT to what the container listens on', () => {
    expect(configDataKeys()).toEqual(['HOST', 'PORT']);
    expect(defineBody('inlet.configData')).toMatch(/range \$key, \$value := \.Values\.config/);
  });

  it('secret variables are wired only through secretKeyRef on the existing Secret', () => {
    const fromSecret = secretEnv();
    expect(fromSecret.map((e) => e.name).sort()).toEqual([...secretNames].sort());
    for (const e of [...fromSecret, ...envEntries(allDocs).filter((x) => secretNames.includes(x.name as string))]) {
      expect(e.value, String(e.name)).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef?.key, String(e.name)).toBeDefined();
    }
    expect(defineBody('inlet.secretEnv')).toMatch(/name: \{\{ include "inlet\.secretName" \. \}\}/);
    // Outside that helper no template mentions a secret variable at all (no literal values, no ConfigMap keys).
    for (const t of templates) {
      for (const s of secretNames) expect(t.text.includes(s), `${t.file} mentions ${s}`).toBe(false);
    }
    expect(configDataKeys().filter((k) => secretNames.includes(k))).toEqual([]);
    // Only the operator key, the Google client secret (Gmail is optional) and the Vault token (KEY_PROVIDER=vault only) may be absent from the Secret.
    expect(fromSecret.filter((e) => e.valueFrom?.secretKeyRef?.optional).map((e) => e.name)).toEqual(['INLET_OPERATOR_KEY', 'GOOGLE_CLIENT_SECRET', 'VAULT_TOKEN']);
  });

  it('every workload receives the secret env and the non-secret config', () => {
    for (const file of ['api-deployment.yaml', 'worker-deployment.yaml', 'migrate-job.yaml']) {
      const text = templates.find((t) => t.file === file)!.text;
      // The include sits inside the container's env: block (every line between is indented deeper).
      expect(text, file).toMatch(/\n( +)env:\n(?:\1 +.*\n)*?\1 +\{\{- include "inlet\.secretEnv" \. \| nindent \d+ \}\}/);
      expect(text, file).toMatch(/configMapRef|include "inlet\.configData"/);
    }
  });
});

describe('workloads', () => {
  const api = docOfKind('Deployment', 'api-deployment.yaml');
  const worker = docOfKind('Deployment', 'worker-deployment.yaml');
  const job = docOfKind('Job', 'migrate-job.yaml');
  const shutdownS = Number(values.config.SHUTDOWN_TIMEOUT_MS ?? 8000) / 1000;

  it('the api serves with liveness on /healthz and readiness on /readyz', () => {
    const [c] = podSpec(api).containers as Values[];
    expect(c!.args).toEqual(['serve']);
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c!.ports).toEqual([{ name: 'http', containerPort: TPL, protocol: 'TCP' }]);
    expect(values.api.containerPort).toBe(3000);
  });

  it('the worker runs jobs, exposes nothing and outlives its own shutdown timeout', () => {
    const [c] = podSpec(worker).containers as Values[];
    expect(c!.args).toEqual(['worker']);
    expect(c!.ports).toBeUndefined();
    expect(values.worker.terminationGracePeriodSeconds).toBeGreaterThan(shutdownS + 2);
    expect(values.api.terminationGracePeriodSeconds).toBeGreaterThan(shutdownS + 2 + values.api.preStopSleepSeconds);
    expect(docsByFile.get('service.yaml')![0]!.spec).toMatchObject({ ports: [{ port: TPL, targetPort: 'http' }] });
  });

  it('the migrate Job is a pre-install/pre-upgrade hook that needs nothing the release creates', () => {
    const a = job.metadata.annotations as Record<string, string>;
    expect(a['helm.sh/hook']!.split(',').sort()).toEqual(['pre-install', 'pre-upgrade']);
    expect(a['helm.sh/hook-delete-policy']!.split(',').sort()).toEqual(['before-hook-creation', 'hook-succeeded']);
    const spec = podSpec(job);
    expect((spec.containers as Values[])[0]!.args).toEqual(['migrate']);
    expect(spec.restartPolicy).toBe('Never');
    // Hooks run before the release's ConfigMap and ServiceAccount exist.
    const text = templates.find((t) => t.file === 'migrate-job.yaml')!.text;
    expect(text).not.toMatch(/configMapRef|inlet\.serviceAccountName/);
  });

  it('every pod runs non-root, read-only, without capabilities, under RuntimeDefault seccomp', () => {
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    });
    expect(defineBody('inlet.podCommon')).toMatch(/toYaml \.Values\.podSecurityContext[\s\S]*name: tmp\n\s+emptyDir:/);
    for (const doc of [api, worker, job]) {
      const spec = podSpec(doc);
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers as Values[]) {
        expect(c).toHaveProperty('securityContext');
        expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      }
    }
    for (const f of ['api-deployment.yaml', 'worker-deployment.yaml', 'migrate-job.yaml']) {
      const text = templates.find((t) => t.file === f)!.text;
      expect(text).toMatch(/securityContext:\n\s+\{\{- toYaml \.Values\.securityContext/);
      expect(text).toMatch(/include "inlet\.podCommon"/);
    }
  });

  it('PDB, HPA and NetworkPolicy exist but are off by default', () => {
    const gates: [string, string, boolean][] = [
      ['pdb.yaml', 'api.podDisruptionBudget.enabled', values.api.podDisruptionBudget.enabled],
      ['hpa.yaml', 'api.autoscaling.enabled', values.api.autoscaling.enabled],
      ['networkpolicy.yaml', 'networkPolicy.enabled', values.networkPolicy.enabled],
    ];
    for (const [file, key, enabled] of gates) {
      const text = templates.find((t) => t.file === file)!.text;
      expect(text.startsWith(`{{- if .Values.${key} }}`), file).toBe(true);
      expect(enabled, key).toBe(false);
    }
    const kinds = allDocs.map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceAccount', 'ConfigMap', 'Service']));
  });

  it('the NetworkPolicy lets pods reach DNS, the database, clamd and the providers, nothing else', () => {
    const [all] = docsByFile.get('networkpolicy.yaml')!;
    const ports = (all!.spec as Values).egress.flatMap((r: Values) => r.ports.map((p: Values) => p.port));
    expect(ports).toEqual([53, 53, TPL, TPL, TPL]);
    expect(values.networkPolicy.providers.ports).toEqual(expect.arrayContaining([443, 993]));
    expect((all!.spec as Values).ingress).toEqual([]);
  });
});
