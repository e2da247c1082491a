// Imported first by the CLI: on an older Node the service starts and then fails in odd places (a
// worker thread that cannot start, missing APIs; graphile-worker 0.18 needs 22.18), so say what is
// needed before anything else runs. scripts/inlet.mjs repeats the check for `npm start`.

/** What to tell the user when `version` (process.versions.node) is too old, or null. */
export function nodeTooOld(version: string): string | null {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 18)) return null;
  return `inlet needs Node.js 22.18 or newer; this is Node.js ${version}. Install Node 22 (for example \`nvm install 22\`) and run the command again.\n`;
}

const tooOld = nodeTooOld(process.versions.node);
if (tooOld) {
  process.stderr.write(tooOld);
  process.exit(1);
}
