// The image definition, read as text (no Docker daemon needed): what the final stage is built from,
// who it runs as, what it copies, and whether its HEALTHCHECK command really tells up from down.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { repoRoot } from './template-text.js';

interface Instruction { op: string; args: string }
interface Stage { from: string; name: string | null; body: Instruction[] }

function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  // ARGs declared before the first FROM may name the base image (NODE_IMAGE); resolve their defaults.
  const globalArgs = new Map<string, string>();
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'ARG' && out.length === 0) {
      const [k = '', v = ''] = args.split('=');
      globalArgs.set(k, v);
    }
    if (op.toUpperCase() === 'FROM') {
      const [raw = '', , name] = args.split(/\s+/);
      const from = raw.replace(/\$\{(\w+)\}/g, (_m, k: string) => globalArgs.get(k) ?? '');
      out.push({ from, name: name ?? null, body: [] });
    } else out.at(-1)?.body.push({ op: op.toUpperCase(), args });
  }
  return out;
}

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const all = stages(dockerfile);
const final = all.at(-1)!;
const ops = (op: string) => final.body.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('builds in separate stages and runs on node:22-slim', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(final.from).toMatch(/^node:22-(bookworm-)?slim(@sha256:[0-9a-f]{64})?$/);
    expect(all.slice(0, -1).some((s) => s.body.some((i) => i.op === 'RUN' && i.args.includes('npm run build')))).toBe(true);
    expect(all.some((s) => s.body.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)))).toBe(true);
    // One base for every stage, named once, so pinning it by digest (scripts/pin-base-image.sh) pins all.
    expect(new Set(all.map((x) => x.from)).size).toBe(1);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim(@sha256:[0-9a-f]{64})?$/m);
  });

  it('ships no embedded PostgreSQL unless asked, and carries OCI labels', () => {
    expect(dockerfile).toMatch(/^ARG SHIP_EMBEDDED_POSTGRES=false$/m);
    const labels = ops('LABEL').join(' ');
    for (const k of ['title', 'licenses', 'version', 'revision', 'created', 'base.name']) expect(labels).toContain(`org.opencontainers.image.${k}=`);
  });

  it('runs as a non-root numeric user', () => {
    const users = ops('USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(':')[0]!;
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
  });

  it('copies only the build output, migrations, package.json and production modules', () => {
    const sources = ops('COPY').map((args) => {
      const parts = args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length) ?? 'context';
      const rest = parts.filter((p) => !p.startsWith('--'));
      return `${from}:${rest.slice(0, -1).join(' ')}`;
    });
    expect(sources.sort()).toEqual(['build:/app/dist', 'context:migrations', 'context:package.json', 'prod-deps:/app/node_modules'].sort());
    expect(sources.join(' ')).not.toMatch(/test|\.inlet|src/);
  });

  it('defaults to serving the API in production on all interfaces', () => {
    const env = ops('ENV').join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/HOST=0\.0\.0\.0/);
    expect(ops('ENTRYPOINT')).toEqual(['["node", "dist/main/cli.js"]']);
    expect(ops('CMD')).toEqual(['["serve"]']);
    expect(ops('EXPOSE')).toEqual(['3000']);
  });

  it('keeps the build context free of local state and tests', () => {
    const ignored = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.inlet', 'dist', '.git', 'test', 'coverage']));
  });
});

describe('Dockerfile HEALTHCHECK command', () => {
  const match = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile);
  const argv = JSON.parse(match?.[1] ?? '[]') as string[];
  const scratch = mkdtempSync(path.join(tmpdir(), 'inlet-healthcheck-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // Runs the command with /proc/1/cmdline replaced by a file holding the given container command.
  function runCheck(command: string[], port: number): Promise<number | null> {
    const cmdline = path.join(scratch, `cmdline-${command.at(-1)}`);
    writeFileSync(cmdline, command.join('\0') + '\0');
    const [bin, ...args] = argv.map((a) => a.replace('/proc/1/cmdline', cmdline));
    expect(bin).toBe('node');
    return new Promise((resolve) => {
      const child = spawn(process.execPath, args, { env: { PORT: String(port) }, stdio: 'ignore' });
      child.on('exit', (code) => resolve(code));
    });
  }

  async function server(status: number): Promise<{ port: number; close: () => Promise<void> }> {
    const s = http.createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { port: (s.address() as AddressInfo).port, close: () => new Promise((r) => s.close(() => r())) };
  }

  it('passes when /healthz answers 200 and fails on 503', async () => {
    expect(argv.length).toBe(3);
    const up = await server(200);
    const down = await server(503);
    try {
      expect(await runCheck(['node', 'dist/main/cli.js', 'serve'], up.port)).toBe(0);
      expect(await runCheck(['node', 'dist/main/cli.js', 'start'], down.port)).toBe(1);
    } finally {
      await up.close();
      await down.close();
    }
  });

  it('fails when nothing listens, except for roles that never listen', async () => {
    const s = await server(200);
    const { port } = s;
    await s.close();
    expect(await runCheck(['node', 'dist/main/cli.js', 'serve'], port)).toBe(1);
    expect(await runCheck(['node', 'dist/main/cli.js', 'worker'], port)).toBe(0);
  });
});
