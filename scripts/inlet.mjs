// `npm start` / `npm run inlet`: the CLI from source in about a second. tsx compiled every module on
// each start (about 15 s on a shared machine); here esbuild transpiles the changed src/ files into
// dist/ (the layout `npm run build` produces, so paths such as ../../migrations still resolve) and
// Node runs dist/main/cli.js. Types are checked by `npm run typecheck`, not here.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `inlet needs Node.js 22.18 or newer; this is Node.js ${process.versions.node}. Install Node 22 (for example \`nvm install 22\`) and run the command again.\n`,
  );
  process.exit(1);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist');
const stamp = path.join(out, '.transpiled');

function sources(dir, list = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, list);
    else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      !entry.name.endsWith('.d.ts')
    )
      list.push(full);
  }
  return list;
}

const files = sources(src);
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = files.filter((f) => statSync(f).mtimeMs > built);
if (changed.length > 0 || !existsSync(path.join(out, 'main/cli.js'))) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: built === 0 ? files : changed,
    outdir: out,
    outbase: src,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  writeFileSync(stamp, '');
}
process.argv.splice(1, 1, path.join(out, 'main/cli.js'));
await import(pathToFileURL(path.join(out, 'main/cli.js')).href);
