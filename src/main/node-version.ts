// Imported first by the CLI: on an older Node the service starts and then fails in odd places (a
// worker thread that cannot start, missing APIs), so say what is needed before anything else runs.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `inlet needs Node.js 22.18 or newer; this is Node.js ${process.versions.node}. Install Node 22 (for example \`nvm install 22\`) and run the command again.\n`,
  );
  process.exit(1);
}
export {};
