// Patterns the ReDoS audit flags, each with why it is accepted. Keys are keyOf(pattern) from
// regex-audit.test.ts (a changed pattern gets a new key and is checked afresh). "Bounded" means the
// caller caps the text first, so the worst case is a constant; the figures are from
// bench/hostile-regex-bench.ts and measurements noted in w87's report.
export const reviewed: Record<string, string> = {
  // extract-reply-attribution.ts AFTER_VERB /^\s*(?:.*@.*|…)$/u
  f045508b9426:
    "bounded: run on ATTRIBUTION's group after the verb, at most 150 characters past the verb's own (≤ 400-character) line",
  // extract-reply-attribution.ts DATED_ADDRESS
  babfe5a0bee5: 'bounded: only tested when the joined attribution is ≤ 600 characters',
  // extract-reply-attribution.ts DATED_ADDRESS_COLON
  '1ad666a655db':
    'bounded: only tested when the joined attribution is ≤ 600 characters (was cubic on a long line of "0@:": 8,000 characters took 9 s)',
  // extract-reply-attribution.ts DATED_TIMED_ADDRESS_COLON
  '56e27c226da7': 'bounded: only tested when the joined attribution is ≤ 600 characters',
  // extract-reply-attribution.ts GLUED_ATTRIBUTION
  '40a3d549f688': 'bounded: only run on lines of ≤ 600 characters over a quote',
  // extract-reply-attribution.ts GLUED_CAPITALISED
  '3433d541ae9c': 'bounded: only run on lines of ≤ 600 characters over a quote',
  // extract-reply-contact.ts KINDS address /[\w.+-]+@[\w-]+\.[\w.-]+/u
  '3fedb3e690d9': 'bounded: contact lines are read only up to 100 characters (MAX_LINE)',
  // extract-reply-quote.ts SEPARATOR_LINE
  '075c28603992':
    'linear where used: lines are cleaned (no leading or trailing space), so the outer \\s* never trade; the inner run is capped at 40; 32,000 spaces between rules: 6.6 ms',
  // reply-signature.ts /[.,!]+$/u on the words of an Outlook sign-off
  '65b3ded69a1d': 'bounded: the words of a sign-off of at most 100 characters',
  // reply-signature.ts DEVICE_ONLY
  '0e19790b40a3': 'bounded: only run on a sign-off of at most 100 characters',
  // The bounce patterns below belong to the bounce lane's files. They are NOT linear on a long
  // line (a base64 report decodes to lines of any length): measured through classifyMessage,
  // 1,000 → 4,000 characters grew ×10 to ×166 (0.2–0.5 s at 4,000). The fix (a line-length cap
  // in the report reader, as SMTP lines are at most 1,000 octets) is written up in w87's report
  // for that lane; until it lands these stay listed so the audit names them.
  // bounce-notices.ts list-id /<([^.<>@\s]+)\.([^<>@\s]+\.[^<>@\s]+)>/
  ce9de4ecb5c7:
    'bounded: run on one List-Id header value, which the parser caps with the header block',
  // bounce-text.ts CAPTION
  '8dbdb9a37e22': 'PENDING (bounce lane): cubic on a long rule line of a report',
  // bounce-text.ts cleanAddress /^['".]+|['".]+$/g
  '70985be757f2':
    'linear where used: run on one matched address; 2×16,000 quotes around an address: 6.9 ms',
  // bounce-text.ts SCREEN_NAME
  f0a85126ca8f:
    'linear: anchored, and the name is capped at 32 characters, so the spaces on either side cannot trade',
  // bounce-text.ts expanded-from with its address line
  e9d35427aed7: 'PENDING (bounce lane): quadratic on a long "(expanded from:" line of \'@\'',
  // bounce-text.ts expanded-from
  '552ff8ee241d': 'PENDING (bounce lane): quadratic on a long "(expanded from:" line of \'@\'',
  // bounce-text.ts keyed address line
  '0d769375e313':
    "PENDING (bounce lane): quadratic on a long line of '@' that also holds an address",
  // bounce-text.ts keyed "<address>:" line
  d8db578aebcb: "PENDING (bounce lane): quadratic on a long line of '@' that also holds an address",
  // bounce.ts DSN field line /^([A-Za-z0-9-]+)\s*:\s*(.*)$/
  '854e67e970e2':
    'linear in practice: `.*$` only fails on a line separator inside the value; the fields are one DSN block',
  // bounce-words.ts ORIGINAL_START
  '8c598132ab42': 'PENDING (bounce lane): quadratic on a long line of dashes in a report',
};
