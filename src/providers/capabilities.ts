// What each kind of mailbox can do, in one exhaustive table (no `switch (provider)` elsewhere).
import type { MailboxProviderKind } from '../store/mailbox-store.js';

export interface ProviderCapabilities {
  /** Has a mail server to send through (local mailboxes are fed by `inlet import` only). */
  canSend: boolean;
  /**
   * Put the ticket token `[#N]` in reply subjects. Gmail threads a sent message into the thread
   * only when its Subject matches (providers.md, Gmail send), so there the token would split the
   * agent's reply off the customer's thread; In-Reply-To/References carry the threading anyway.
   */
  subjectToken: boolean;
}

export const providerCapabilities: Record<MailboxProviderKind, ProviderCapabilities> = {
  local: { canSend: false, subjectToken: true },
  imap: { canSend: true, subjectToken: true },
  gmail: { canSend: true, subjectToken: false },
  graph: { canSend: true, subjectToken: true },
};
