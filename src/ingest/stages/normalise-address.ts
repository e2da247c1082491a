// Addresses as a library returns them → Address: bare tokens, groups, and addresses written only
// inside a comment.
import type { Address } from '../types.js';
import type { RawAddress } from './normalise-types.js';

export function normaliseAddress(raw: RawAddress, bareTokenIsAddress = false): Address | null {
  let address = (raw.address ?? '')
    .trim()
    .replace(/^<+|>+$/g, '')
    .trim()
    // "Jane <mailto:jane@example.com>": a link pasted as the address; the scheme is no part of it.
    .replace(/^mailto:(?=[^@\s]+@)/i, '');
  // From: "MAILER-DAEMON <>" or a bare "MAILER-DAEMON": libraries put the token in the name.
  if (bareTokenIsAddress && address === '' && /^[\w.+-]+$/.test((raw.name ?? '').trim()))
    address = (raw.name ?? '').trim();
  const at = address.lastIndexOf('@');
  if (at > 0) address = address.slice(0, at) + address.slice(at).toLowerCase();
  // Brackets left behind by a doubled or square-bracketed address ("Jane <<a@b>>", "Jane [a@b]").
  const name = (raw.name ?? '')
    .replace(/\s*(?:\[\s*\]|>+)\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (address === '' && name === '') return null;
  return { name, address };
}

// A comment that holds nothing but an address: "Namedyński (hans@example.com)".
const COMMENT_ADDRESS = /\(\s*([^\s()<>@,;:"\\]+@[^\s()<>@,;:"\\]+\.[^\s()<>@,;:"\\]+)\s*\)/g;

/** Top-level entries of an address header: commas inside quotes, comments or <...> do not split. */
function addressEntries(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (quoted) quoted = c !== '"';
    else if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && c === '<') angle = true;
    else if (depth === 0 && c === '>') angle = false;
    else if (depth === 0 && !angle && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

/**
 * "Name (address)" — the reverse of the old "address (Name)" form — reads as a name and a comment
 * with no address at all, and the recipient would be lost. An entry whose only address sits in
 * such a comment gets it, when there is one such entry for each name-only entry the library gave.
 */
export function addressesFromComments(list: RawAddress[], rawValues: string[]): RawAddress[] {
  const nameOnly = list.filter((a) => !a.address && !a.group && a.name);
  if (nameOnly.length === 0) return list;
  const found: string[] = [];
  for (const entry of rawValues.flatMap(addressEntries)) {
    // An unclosed quote runs to the end (as the address parser reads it); matching it that way also
    // keeps this linear, where a pattern that must find the closing quote rescans from every quote.
    const outside = entry.replace(/"(?:[^"\\]|\\[\s\S]?)*(?:"|$)/g, '').replace(/\([^()]*\)/g, '');
    if (outside.includes('@') || outside.includes('<') || outside.includes(':')) continue;
    const inComment = [...entry.matchAll(COMMENT_ADDRESS)];
    if (inComment.length === 1) found.push(inComment[0]![1]!);
  }
  if (found.length !== nameOnly.length) return list;
  let next = 0;
  return list.map((a) => (nameOnly.includes(a) ? { ...a, address: found[next++]! } : a));
}

export function normaliseAddressList(list: RawAddress[], bareTokenIsAddress = false): Address[] {
  const out: Address[] = [];
  for (const entry of list) {
    for (const member of entry.group ?? [entry]) {
      const a = normaliseAddress(member, bareTokenIsAddress);
      if (a && a.address !== '') out.push(a);
    }
  }
  return out;
}
