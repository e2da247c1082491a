// What `inlet import` reads: single .eml files, folders of them (recursively), and mbox files
// (mboxo/mboxrd: messages separated by "From " lines, ">From " un-escaped). Streams mbox files so a
// multi-gigabyte archive is never held in memory at once.
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';

export interface MailSource {
  /** Where the message came from, for the summary (never its content). */
  label: string;
  raw: Buffer;
}

async function looksLikeMbox(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(5);
    await fh.read(buf, 0, 5, 0);
    return buf.toString('latin1') === 'From ';
  } finally {
    await fh.close();
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile() && !e.name.startsWith('.')) yield p;
  }
}

async function* mboxMessages(file: string): AsyncGenerator<MailSource> {
  // latin1 keeps every byte as one char, so the message bytes come back unchanged.
  const rl = readline.createInterface({
    input: createReadStream(file, { encoding: 'latin1' }),
    crlfDelay: Infinity,
  });
  let lines: string[] | null = null;
  let n = 0;
  const flush = (): MailSource | null =>
    lines && lines.length > 0
      ? {
          label: `${path.basename(file)}#${++n}`,
          raw: Buffer.from(lines.join('\n') + '\n', 'latin1'),
        }
      : null;
  for await (const line of rl) {
    if (line.startsWith('From ')) {
      const m = flush();
      if (m) yield m;
      lines = [];
      continue;
    }
    if (lines === null) continue; // junk before the first separator
    lines.push(/^>+From /.test(line) ? line.slice(1) : line);
  }
  const last = flush();
  if (last) yield last;
}

/** The files to read: the target itself, or every mail-looking file below a folder. */
async function* mailFiles(target: string): AsyncGenerator<{ file: string; mbox: boolean }> {
  const isDir = (await stat(target)).isDirectory();
  const files = isDir
    ? walk(target)
    : (async function* () {
        yield target;
      })();
  for await (const file of files) {
    const mbox = await looksLikeMbox(file);
    if (mbox || !isDir || /\.(eml|msg|txt|box|mbox|mail)$/i.test(file)) yield { file, mbox };
  }
}

/** Every message under `target`, in a stable order. */
export async function* mailSources(target: string): AsyncGenerator<MailSource> {
  for await (const { file, mbox } of mailFiles(target)) {
    if (mbox) yield* mboxMessages(file);
    else yield { label: path.basename(file), raw: await readFile(file) };
  }
}

/** Counts messages first so the progress bar has a total (a line scan for mbox files, no parsing). */
export async function countMessages(target: string): Promise<number> {
  let n = 0;
  for await (const { file, mbox } of mailFiles(target)) {
    if (!mbox) {
      n++;
      continue;
    }
    const rl = readline.createInterface({
      input: createReadStream(file, { encoding: 'latin1' }),
      crlfDelay: Infinity,
    });
    for await (const line of rl) if (line.startsWith('From ')) n++;
  }
  return n;
}
