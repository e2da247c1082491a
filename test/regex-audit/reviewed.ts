// Patterns the ReDoS audit flags, each with why it is accepted. Keys are keyOf(pattern) from
// regex-audit.test.ts (a changed pattern gets a new key and is checked afresh). "Bounded" means the
// caller caps the text first, so the worst case is a constant; the figures are from
// bench/hostile-regex-bench.ts and measurements noted in w87's report.
export const reviewed: Record<string, string> = {
  // extract-reply-attribution.ts AFTER_VERB /^\s*(?:.*@.*|…)$/u
  f5dbb59792d7:
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
  // reply-signature.ts /[.,!]+$/u on the words of an Outlook sign-off
  '65b3ded69a1d': 'bounded: the words of a sign-off of at most 100 characters',
  // reply-signature.ts DEVICE_ONLY
  '0e19790b40a3': 'bounded: only run on a sign-off of at most 100 characters',
  // Bounce reports: a base64 report decodes to lines of any length, so the line patterns are read
  // only within SMTP's 1000 octets. Figures: classifyMessage on one hostile line, load ~7.
  // bounce-notices.ts list-id /<([^.<>@\s]+)\.([^<>@\s]+\.[^<>@\s]+)>/
  ce9de4ecb5c7:
    'bounded: run on one List-Id header value, which the parser caps with the header block',
  // bounce-text.ts CAPTION
  '8dbdb9a37e22':
    'bounded: diagnosticOf drops lines over 1000 octets before this test; a 4,000-dash rule: 0.5 ms',
  // bounce-text.ts cleanAddress /^['".]+|['".]+$/g
  '70985be757f2':
    'linear where used: run on one matched address; 2×16,000 quotes around an address: 6.9 ms',
  // bounce-text.ts SCREEN_NAME
  f0a85126ca8f:
    'linear: anchored, and the name is capped at 32 characters, so the spaces on either side cannot trade',
  // bounce-text.ts expanded-from with its address line
  c9d211faadf7:
    "checker is wrong here: the lookahead before the address demands its end ('>' or ')') first, so the two quantifiers only trade on a match; 64,000 characters of '(expanded from: @G…': 5.6 ms (2.1 s without it)",
  // bounce-text.ts expanded-from
  '5455981f1d29':
    'checker is wrong here: the same lookahead as the pattern above; regex-rewrites.test.ts checks it finds what the pattern without it found',
  // bounce-text.ts keyed address line
  '0d769375e313':
    "bounded: only tested on lines within SMTP's 1000 octets (4,000 '@': 235 ms before the cap, 10 ms after)",
  // bounce-text.ts keyed "<address>:" line
  d8db578aebcb:
    "bounded: only tested on lines within SMTP's 1000 octets (4,000 '@': 326 ms before the cap, 0.4 ms after)",
  // bounce.ts DSN field line /^([A-Za-z0-9-]+)\s*:\s*(.*)$/
  '854e67e970e2':
    'linear in practice: `.*$` only fails on a line separator inside the value; the fields are one DSN block',
  // bounce-words.ts ORIGINAL_START
  '8c598132ab42':
    "bounded: reportRegion tests it only on lines within SMTP's 1000 octets (4,000 dashes: 543 ms before, 2.8 ms after)",
};
