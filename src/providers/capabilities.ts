// What a kind of mailbox can do. Each provider module states its own; callers ask the registry
// (capabilitiesOf) instead of comparing provider names.

export interface ProviderCapabilities {
  /** Has a mail server to read from and send through (local mailboxes are fed by `inlet import` only). */
  canSend: boolean;
  /** Is synced from a remote mailbox, so it has sync state (cursor, progress, errors) to show. */
  syncs: boolean;
  /**
   * Put the ticket token `[#N]` in reply subjects. Gmail threads a sent message into the thread
   * only when its Subject matches, so there the token would split the agent's reply off the
   * customer's thread; In-Reply-To/References carry the threading anyway.
   */
  subjectToken: boolean;
  /** New mail is announced over a held connection (IMAP IDLE): workers lease such mailboxes. */
  holdsConnection: boolean;
  /** A server-side push channel exists that disconnect has to stop. */
  channelPush: boolean;
  /** An OAuth grant exists that disconnect has to revoke. */
  revocableGrant: boolean;
  /**
   * Sending and the Sent copy are one step on the server (Gmail's messages.send): a message that
   * is not in Sent was not sent. False where the copy is a separate step that a crash can miss
   * (our IMAP APPEND after SMTP) or that lags the send (Graph's sendMail is accepted, then sent).
   * The send job re-sends after an interrupted transmission only when this is true.
   */
  sentCopyIsAtomic: boolean;
}
