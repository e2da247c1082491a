// Which of the two names a part may carry is shown. Content-Disposition's filename wins (RFC 2183),
// except where it is a lossy copy of Content-Type's name: senders write the name twice, and some
// write the second copy in a legacy charset that lacks some of its characters, with '?' for each.

const LOST = new Set(['?', '\uFFFD']);

/**
 * The filename, or the type's name where the filename is that name with characters lost: the same
 * length in code points, equal wherever the filename has no '?' or U+FFFD, and at least one lost.
 */
export function partFilename(filename: string | null, typeName: string | null): string | null {
  if (!filename || !typeName || filename === typeName) return filename || typeName || null;
  const have = [...filename];
  const full = [...typeName];
  if (have.length !== full.length) return filename;
  let lost = false;
  for (let i = 0; i < have.length; i++) {
    if (have[i] === full[i]) continue;
    if (!LOST.has(have[i]!)) return filename;
    lost = true;
  }
  return lost ? typeName : filename;
}
