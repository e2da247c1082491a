// Header safety for outbound mail. Every value that ends up in a header field — cc addresses,
// display names, attachment file names and types, the subject taken from the (attacker-written)
// inbound mail — is checked here, after any decoding, and a line break or control character is
// refused with 400 header_injection. Nothing is stripped or replaced: silently "fixing" a value is how
// CVE-2024-6923-style injections slip through, and the caller should learn that its input was wrong.
// Addresses are read by one parser, nodemailer's addressparser — the one mailparser uses for inbound
// mail and smtp-send uses for the envelope — so the three can never disagree about an address.
import addressparser from 'nodemailer/lib/addressparser/index.js';

import { AppError } from '../errors.js';
import { oneLine } from '../lib/one-line.js';

export interface MailAddress {
  name: string;
  address: string;
}

// C0 controls except HT (legal whitespace in a header), DEL, C1 controls, and U+2028/U+2029 (line
// breaks to some MIME libraries).
// eslint-disable-next-line no-control-regex
const unsafeChars = /[\x00-\x08\x0a-\x1f\x7f\u0080-\u009f\u2028\u2029]/;

// A plain ASCII addr-spec: dot-atom local part (no quoted strings, so `"a@b x"@evil.example` cannot
// mean two things) and a host name with at least one dot. Internationalised domains go in punycode.
const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const addrSpec = new RegExp(`^${atom}(?:\\.${atom})*@${label}(?:\\.${label})+$`);

const mimeType = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

// A Message-ID we repeat in In-Reply-To/References: printable ASCII without brackets or spaces.
const msgId = /^[\x21-\x3b\x3d\x3f-\x7e]{1,250}$/;

export function hasUnsafeHeaderChars(value: string): boolean {
  return unsafeChars.test(value);
}

/** Returns `value` unchanged, or throws 400 header_injection naming the field (never the value). */
export function assertHeaderSafe(value: string, field: string): string {
  if (unsafeChars.test(value)) {
    throw new AppError(
      'header_injection',
      `The ${field} contains a line break or control character, which a mail header cannot carry.`,
      { field },
    );
  }
  return value;
}

export function isPlainAddress(address: string): boolean {
  return address.length <= 254 && addrSpec.test(address);
}

/** One mailbox, `a@b.example` or `Name <a@b.example>`; groups and lists are refused. */
export function parseOneAddress(value: string, field: string): MailAddress {
  assertHeaderSafe(value, field);
  const parsed = addressparser(value);
  const one = parsed.length === 1 ? parsed[0] : undefined;
  if (!one || one.group !== undefined || !isPlainAddress(one.address)) {
    throw new AppError(
      'validation_failed',
      `The ${field} must be exactly one plain email address.`,
      { field },
    );
  }
  const name = one.name.trim();
  assertHeaderSafe(name, field);
  return { name, address: lowerDomain(one.address) };
}

/**
 * An address stored with a ticket (parsed from inbound mail), checked before it becomes a header.
 * Its display name is the sender's own text and may decode to a line break; refusing it would make
 * the ticket unanswerable, so it goes out on one line (the address itself must be plain).
 */
export function checkStoredAddress(a: MailAddress, field: string): MailAddress {
  const name = oneLine(a.name).trim();
  assertHeaderSafe(name, `${field} display name`);
  if (!isPlainAddress(a.address)) {
    throw new AppError(
      'unprocessable',
      `The ${field} address cannot be written to: it is not a plain email address.`,
      { field },
    );
  }
  return { name, address: lowerDomain(a.address) };
}

export function checkContentType(value: string, field: string): string {
  assertHeaderSafe(value, field);
  if (!mimeType.test(value))
    throw new AppError(
      'validation_failed',
      `The ${field} is not a MIME type such as application/pdf.`,
      { field },
    );
  return value.toLowerCase();
}

export function checkFilename(value: string, field: string): string {
  assertHeaderSafe(value, field);
  if (value.trim() === '')
    throw new AppError('validation_failed', `The ${field} is empty.`, { field });
  return value;
}

/** Message-IDs (without brackets) usable in In-Reply-To/References; unusable ones are left out. */
export function usableMessageIds(ids: readonly string[]): string[] {
  return ids.filter((id) => msgId.test(id) && id.includes('@'));
}

const lowerDomain = (address: string): string => {
  const at = address.lastIndexOf('@');
  return address.slice(0, at) + address.slice(at).toLowerCase();
};
