// Attacker-written header text (an inbound subject or display name) may decode to line breaks
// (RFC 2047 `=0A`) or control characters. Where refusing it would leave a ticket unanswerable, it
// goes out on one line: breaks become spaces, other controls are dropped. The outbound header check
// (src/outbound/header-safety.ts) still refuses anything that slips past.
export function oneLine(s: string): string {
  return (
    s
      .replace(/[\r\n\u2028\u2029]+/g, ' ')
      // eslint-disable-next-line no-control-regex -- control characters are what this removes
      .replace(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/g, '')
      .replace(/ {2,}/g, ' ')
  );
}
