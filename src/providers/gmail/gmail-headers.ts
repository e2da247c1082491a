// The header block of a message too large to download (MailProvider.fetchHeaders): messages.get
// with format=metadata, which gives headers, ids, labels and sizeEstimate and never the body
// (docs/providers.md, Gmail facts: format semantics). Only the headers a ticket stub uses are
// asked for (metadataHeaders): who wrote, to whom, the subject and date, the threading ids, and
// what tells an auto-reply or list mail from a person.
import { headerBlockOf } from '../header-block.js';
import type { FetchedHeaders } from '../mail-provider.js';
import { isProviderError } from '../provider-errors.js';
import type { GmailSession } from './gmail-client.js';
import { jsonBody, overCap, statusOf } from './gmail-sync.js';

const stubHeaders = [
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Subject',
  'Date',
  'Message-ID',
  'In-Reply-To',
  'References',
  'Auto-Submitted',
  'Precedence',
  'X-Autoreply',
  'X-Autorespond',
  'List-Id',
  'Return-Path',
  'Authentication-Results',
];

/** A metadata answer longer than this (a hostile header block) is not read: the stub then holds
 *  what the listing knew. JSON escaping can double a header's bytes, hence the factor. */
const metadataAnswerCap = 4 * 64 * 1024;

export async function fetchGmailHeaders(
  s: GmailSession,
  id: string,
): Promise<FetchedHeaders | null> {
  try {
    const res = await s.call('gmail messages.get', async () => {
      try {
        return await s.gmail.users.messages.get(
          { userId: 'me', id, format: 'metadata', metadataHeaders: stubHeaders },
          { ...s.reads, maxContentLength: metadataAnswerCap },
        );
      } catch (err) {
        if (overCap(err)) return null;
        throw err;
      }
    });
    if (res === null) return { header: Buffer.alloc(0), size: null };
    const data = jsonBody(res.data, 'gmail messages.get');
    const size = Number(data.sizeEstimate);
    return {
      header: headerBlockOf(data.payload?.headers),
      size: Number.isSafeInteger(size) && size > 0 ? size : null,
    };
  } catch (err) {
    // Deleted between the listing and this call.
    if (isProviderError(err) && statusOf(err.cause) === 404) return null;
    throw err;
  }
}
