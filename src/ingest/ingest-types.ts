// What goes into the ingest pipeline and what comes out, shared by the pipeline (pipeline.ts), the
// page store (store-page.ts) and its decide and write steps, so none of them imports another's
// module for a type.
import type { StoredKind } from '../tickets/ticket-status.js';
import type { PreparedMessage } from './prepare.js';
import type { ScanVerdict } from './scan-attachments.js';

export interface IngestInput {
  tenantId: string;
  mailboxId: string;
  /** Stable per mailbox: IMAP `uidvalidity:uid`, Gmail message id, Graph immutable id, `sha256:…` for imports. */
  providerMessageId: string;
  providerThreadId?: string | null;
  raw: Buffer;
  /** Provider cursor covering this message; saved in the same transaction as the message. */
  cursor?: unknown;
  /** Attempts before parking (default from config); one-shot imports pass 1 — there is no retry. */
  maxAttempts?: number;
}

export type StoredOutcome = {
  status: 'stored';
  messageId: string;
  ticketId: string;
  ticketNumber: number;
  newTicket: boolean;
  kind: StoredKind;
  threadRule: string;
  attachments: Record<string, number>;
};

export type IngestOutcome =
  | StoredOutcome
  | { status: 'duplicate'; messageId: string | null }
  | { status: 'parked'; reason: string };

/** A message handed to the pipeline and what became of it. */
export interface Ingested {
  input: IngestInput;
  outcome: IngestOutcome;
}

/** One message of a page, parsed and scanned, ready to be stored. */
export interface PageItem {
  input: IngestInput;
  prepared: PreparedMessage;
  scans: ScanVerdict[];
}
