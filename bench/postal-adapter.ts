// postal-mime behind the same ParserAdapter as mailparser, kept for measurement only: parse.ts uses
// mailparser because it scored higher on the corpus (see bench/parse-bench.ts for the figures).
import type { Address as PostalAddress } from 'postal-mime';
import PostalMime from 'postal-mime';

import type { RawAddress } from '../src/ingest/stages/normalise-types.js';
import type { ParserAdapter } from '../src/ingest/stages/parse.js';
import { defaultIngestLimits } from '../src/ingest/types.js';

const toRaw = (list: PostalAddress[] | PostalAddress | undefined): RawAddress[] =>
  list === undefined
    ? []
    : (Array.isArray(list) ? list : [list]).map((a) =>
        a.group ? { name: a.name, group: a.group } : { name: a.name, address: a.address },
      );

export const postalMimeAdapter: ParserAdapter = {
  name: 'postal-mime',
  async parse(raw) {
    const email = await PostalMime.parse(raw, {
      attachmentEncoding: 'arraybuffer',
      rfc822Attachments: true,
      maxNestingDepth: defaultIngestLimits.maxDepth + 2,
      maxHeadersSize: defaultIngestLimits.maxHeaderBytes * 2,
    });
    return {
      from: toRaw(email.from),
      sender: toRaw(email.sender),
      replyTo: toRaw(email.replyTo),
      to: toRaw(email.to),
      cc: toRaw(email.cc),
      subject: email.subject ?? null,
      text: email.text ?? null,
      html: email.html ?? null,
      attachments: email.attachments.map((a) => ({
        filename: a.filename,
        description: a.description ?? null,
        contentType: a.mimeType,
        contentId: a.contentId ?? null,
        inline: a.related === true || (a.disposition === 'inline' && a.contentId !== undefined),
        content:
          typeof a.content === 'string'
            ? Buffer.from(a.content, a.encoding === 'base64' ? 'base64' : 'utf8')
            : Buffer.from(a.content as ArrayBuffer),
      })),
    };
  },
};
