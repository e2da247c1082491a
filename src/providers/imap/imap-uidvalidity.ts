// A UIDVALIDITY change announced inside a session. RFC 3501 sends the value with SELECT/EXAMINE, but
// a server whose mailbox is rebuilt under an open session may announce the new one in any untagged
// OK (`* OK [UIDVALIDITY n]`), during IDLE or in the middle of a FETCH; from then on every UID the
// session holds names other mail. imapflow keeps its mailbox state from the last SELECT and has no
// event for it, so the response code is caught here (its per-code section hook) and compared with
// the selected folder's value: bytes fetched under a stale value must never be stored under the old
// ids. Dovecot does not announce: it answers the next command with BYE, which ends the session.
import type { ImapFlow } from 'imapflow';

/** The last announced value and the selection it was announced under: imapflow installs a new
 *  mailbox object with every SELECT, so any later SELECT supersedes the announcement (even one that
 *  omits UIDVALIDITY, which would otherwise leave it pending and every fetch refused). */
const announced = new WeakMap<ImapFlow, { value: bigint; under: ImapFlow['mailbox'] }>();

type SectionHook = (section: { type?: string; value?: unknown }[]) => void;
type Internals = {
  sectionHandlers?: Record<string, SectionHook>;
  currentRequest?: { command?: string } | false;
};

/** Installs the hook; `client` then emits 'uidvalidity' (with the value) for every announcement
 *  outside a SELECT/EXAMINE (whose answer imapflow applies itself, to the folder it selects). */
export function trackUidValidity(client: ImapFlow): void {
  const internals = client as unknown as Internals;
  const hooks = internals.sectionHandlers;
  if (!hooks) return; // an imapflow without the hook: SELECT answers are still compared by callers
  hooks.UIDVALIDITY = (section) => {
    const raw = section[0]?.value;
    if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) return;
    const value = BigInt(raw);
    announced.set(client, { value, under: client.mailbox });
    const busy = internals.currentRequest ? internals.currentRequest.command : undefined;
    if (busy !== 'SELECT' && busy !== 'EXAMINE') client.emit('uidvalidity', value);
  };
}

/** True when the server announced a UIDVALIDITY other than the selected folder's since its SELECT. */
export function uidValidityMoved(client: ImapFlow): boolean {
  const seen = announced.get(client);
  const mailbox = client.mailbox;
  return (
    seen !== undefined &&
    mailbox !== false &&
    seen.under === mailbox &&
    mailbox.uidValidity !== seen.value
  );
}
