// Reading Helm templates without the helm binary: template actions are stripped or replaced by a
// placeholder so the YAML skeleton can be parsed. Whole-line actions (if/with/range/include/toYaml)
// vanish; inline ones become TPL. That keeps literal structure (kinds, args, probes, env names,
// hook annotations) checkable; what the actions would insert is checked from values.yaml instead.
import { readdirSync,readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = path.join(repoRoot, 'helm/inlet');
export const templatesDir = path.join(chartDir, 'templates');
export const TPL = 'TPL';

const action = /\{\{-?[\s\S]*?-?\}\}/g;
const wholeLineAction = /^\s*\{\{-?[\s\S]*?-?\}\}\s*$/;

export function readChartFile(rel: string): string {
  return readFileSync(path.join(chartDir, rel), 'utf8');
}

/** Every templates/*.yaml file as { file, text }. */
export function templateFiles(): { file: string; text: string }[] {
  return readdirSync(templatesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, text: readFileSync(path.join(templatesDir, file), 'utf8') }));
}

export function stripActions(text: string): string {
  return text
    .split('\n')
    .filter((line) => !wholeLineAction.test(line))
    .map((line) => line.replace(action, TPL))
    .join('\n');
}

/** Parses a template's YAML skeleton; throws if what remains is not valid YAML. */
export function skeletonDocs(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(stripActions(text));
  const out: Record<string, unknown>[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const value = doc.toJS() as unknown;
    if (value !== null && typeof value === 'object') out.push(value as Record<string, unknown>);
  }
  return out;
}

/** The body of `{{ define "name" }}` in _helpers.tpl, nested if/with/range/end balanced. */
export function defineBody(name: string): string {
  const text = readFileSync(path.join(templatesDir, '_helpers.tpl'), 'utf8');
  const start = text.search(new RegExp(`\\{\\{-?\\s*define "${name.replace('.', '\\.')}"\\s*-?\\}\\}`));
  if (start < 0) throw new Error(`no define "${name}" in _helpers.tpl`);
  const re = new RegExp(action.source, 'g');
  re.lastIndex = start;
  let depth = 0;
  let bodyStart = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const word = /^\{\{-?\s*(\w+)/.exec(m[0])?.[1];
    if (word === 'define' || word === 'if' || word === 'with' || word === 'range' || word === 'block') {
      if (depth === 0) bodyStart = m.index + m[0].length;
      depth++;
    } else if (word === 'end') {
      depth--;
      if (depth === 0) return text.slice(bodyStart, m.index);
    }
  }
  throw new Error(`unterminated define "${name}"`);
}

/** Depth-first walk over every object in a parsed document. */
export function* objects(value: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(value)) {
    for (const v of value) yield* objects(v);
  } else if (value !== null && typeof value === 'object') {
    yield value as Record<string, unknown>;
    for (const v of Object.values(value)) yield* objects(v);
  }
}

export interface EnvEntry {
  name: unknown;
  value?: unknown;
  valueFrom?: { secretKeyRef?: { name?: unknown; key?: unknown; optional?: boolean } };
}

/** Every `env:` entry found anywhere in the given documents. */
export function envEntries(docs: unknown[]): EnvEntry[] {
  const out: EnvEntry[] = [];
  for (const doc of docs) {
    for (const o of objects(doc)) {
      if (Array.isArray(o.env)) out.push(...(o.env as EnvEntry[]));
    }
  }
  return out;
}
