// Public test mail from other projects, scored against each project's own expectations: reply
// trimming (discourse, zapier, alfonsrv, EdgeTier, quotequail and talon's inline cases in external-reply-sets.ts), MIME structure (stalwartlabs/mail-parser golden JSON in external-stalwart.ts;
// the PHP sets, SpamScope, apache/james-mime4j, jhillyerd/enmime, MailCore's and MimeKit's jwz mbox and
// pecl mailparse in their own external-*.ts files)
// and bounced recipients (in external-bounce-sets.ts). The sets are fetched
// outside the repo (licences; never copied in) and named by INLET_EXTERNAL_CORPUS or
// `npm run corpus -- --external=DIR`; each folder is `owner+name` holding the repository's files.
// Every set is split once into a tune half and a held-out half (fixed below, chosen before any rule
// changed): rules are tuned on the first, the second is only ever read for the report.
import { round9AutoSets } from './external-auto-round9.js';
import { crispBounceSet } from './external-bounce-round7.js';
import { round8BounceSets } from './external-bounce-round8.js';
import { bounceSets } from './external-bounce-sets.js';
import { enmimeSet } from './external-enmime.js';
import { commonsEmailSet } from './external-mime-commons.js';
import { jordanWrightSet } from './external-mime-jordanwright.js';
import { lettersSet } from './external-mime-letters.js';
import { mailcoreSet } from './external-mime-mailcore.js';
import { phpMailparseSet } from './external-mime-mailparse-php.js';
import { mimekitJwzSet } from './external-mime-mimekit-jwz.js';
import { parsemailSet } from './external-mime-parsemail.js';
import { webklexSet } from './external-mime-round7.js';
import { falconSet } from './external-mime-round7-falcon.js';
import { elixirMailSet } from './external-mime-round8-elixir.js';
import { mailioSet } from './external-mime-round8-mailio.js';
import { postalInlineSet } from './external-mime-round8-postal.js';
import { protonSet } from './external-mime-round8-proton.js';
import { csirtgSet } from './external-mime-round9-csirtg.js';
import { emailjsSet } from './external-mime-round9-emailjs.js';
import { imapToolsSet } from './external-mime-round9-imaptools.js';
import { rustMailparseSet } from './external-mime-round9-rust.js';
import { phpMimeSets } from './external-mime-sets.js';
import { mime4jSet } from './external-mime4j.js';
import { round5ReplySets } from './external-reply-round5.js';
import { round6ReplySets } from './external-reply-round6.js';
import { round7ReplySet } from './external-reply-round7.js';
import { round8ReplyTextSets } from './external-reply-round8.js';
import { round8ReplyHtmlSet } from './external-reply-round8-html.js';
import { round8UnquoteSet } from './external-reply-round8-unquote.js';
import { round9ReplySets } from './external-reply-round9.js';
import {
  freshReplySets,
  pythonReplySets,
  replyTrimmer,
  round4ReplySets,
} from './external-reply-sets.js';
import type { SetReport } from './external-score.js';
import { spamscopeSet } from './external-spamscope.js';
import { stalwartSet } from './external-stalwart.js';

export type { FieldScore, Role, SetReport } from './external-score.js';

/** Every set found under `root`, tune halves first. flufl.bounce tunes; BounceParser is held out whole. */
export async function runExternalSets(root: string): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const role of ['tune', 'held-out'] as const) {
    for (const r of [replyTrimmer(root, role), await stalwartSet(root, role)]) {
      if (r && r.cases > 0) out.push(r);
    }
    out.push(...(await bounceSets(root, role)));
    out.push(...(await phpMimeSets(root, role)));
    const spamscope = await spamscopeSet(root, role);
    if (spamscope && spamscope.cases > 0) out.push(spamscope);
    const mime4j = await mime4jSet(root, role);
    if (mime4j && mime4j.cases > 0) out.push(mime4j);
    const enmime = await enmimeSet(root, role);
    if (enmime && enmime.cases > 0) out.push(enmime);
    const letters = await lettersSet(root, role);
    if (letters && letters.cases > 0) out.push(letters);
    const commons = await commonsEmailSet(root, role);
    if (commons && commons.cases > 0) out.push(commons);
    const parsemail = await parsemailSet(root, role);
    if (parsemail && parsemail.cases > 0) out.push(parsemail);
    const jordanWright = await jordanWrightSet(root, role);
    if (jordanWright && jordanWright.cases > 0) out.push(jordanWright);
    const mailcore = await mailcoreSet(root, role);
    if (mailcore && mailcore.cases > 0) out.push(mailcore);
    const mimekitJwz = await mimekitJwzSet(root, role);
    if (mimekitJwz && mimekitJwz.cases > 0) out.push(mimekitJwz);
    const mailparsePhp = await phpMailparseSet(root, role);
    if (mailparsePhp && mailparsePhp.cases > 0) out.push(mailparsePhp);
    if (role === 'tune') out.push(...pythonReplySets(root));
    out.push(...freshReplySets(root, role));
    out.push(...(await round4ReplySets(root, role)));
    out.push(...round5ReplySets(root, role));
    out.push(...round6ReplySets(root, role));
    // Round 7 (issue #16): sets never scored before, split first half / second half.
    const webklex = await webklexSet(root, role);
    if (webklex && webklex.cases > 0) out.push(webklex);
    const falcon = await falconSet(root, role);
    if (falcon && falcon.cases > 0) out.push(falcon);
    const crispBounces = await crispBounceSet(root, role);
    if (crispBounces && crispBounces.cases > 0) out.push(crispBounces);
    const round7Replies = round7ReplySet(root, role);
    if (round7Replies && round7Replies.cases > 0) out.push(round7Replies);
    // Round 8: reply sets never scored before, split first half / second half.
    out.push(...round8ReplyTextSets(root, role));
    const round8Html = round8ReplyHtmlSet(root, role);
    if (round8Html && round8Html.cases > 0) out.push(round8Html);
    const unquote = round8UnquoteSet(root, role);
    if (unquote && unquote.cases > 0) out.push(unquote);
    // Round 8 (issue #16): MIME sets never scored before, split first half / second half.
    const postalInline = await postalInlineSet(root, role);
    if (postalInline && postalInline.cases > 0) out.push(postalInline);
    const mailio = await mailioSet(root, role);
    if (mailio && mailio.cases > 0) out.push(mailio);
    const elixirMail = await elixirMailSet(root, role);
    if (elixirMail && elixirMail.cases > 0) out.push(elixirMail);
    const proton = await protonSet(root, role);
    if (proton && proton.cases > 0) out.push(proton);
    // Round 8 (issue #16): bounce, auto-reply and complaint sets never scored before.
    out.push(...(await round8BounceSets(root, role)));
    // Round 9 (issue #16): MIME sets never scored before, split first half / second half.
    for (const set of [imapToolsSet, csirtgSet, emailjsSet, rustMailparseSet]) {
      const r = await set(root, role);
      if (r && r.cases > 0) out.push(r);
    }
    // Round 9 (issue #16): reply sets never scored before, split first half / second half.
    out.push(...round9ReplySets(root, role));
    // Round 9 (issue #16): machine-mail sets (auto-replies, bulk, loops) never scored before.
    out.push(...(await round9AutoSets(root, role)));
  }
  return out;
}

/**
 * The table, reviewed divergences, and up to `misses` misses per field of the tune halves; misses
 * of held-out halves only with `heldOutMisses` (reading them while tuning would make them tune sets).
 */
export function formatExternal(reports: SetReport[], misses = 0, heldOutMisses = false): string {
  const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  const lines = [
    '',
    'External sets (own expectations of each project; tune halves shaped the rules, held-out halves did not; "adjusted" leaves out the reviewed divergences listed below)',
    '| set | role | field | pass | total | raw % | divergent | adjusted % |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of reports) {
    for (const [name, f] of Object.entries(r.fields))
      lines.push(
        `| ${r.set} | ${r.role} | ${name} | ${f.pass} | ${f.total} | ${pct(f.pass, f.total)} | ${f.divergent.length} | ${pct(f.pass, f.total - f.divergent.length)} |`,
      );
  }
  // A reason shared by more than ten cases (web-ridge's combinations) is listed once with a count.
  const divergences = reports.flatMap((r) =>
    Object.entries(r.fields).flatMap(([name, f]) => {
      const byReason = new Map<string, string[]>();
      for (const d of f.divergent) {
        const reason = d.slice(d.indexOf(': ') + 2);
        byReason.set(reason, [...(byReason.get(reason) ?? []), d]);
      }
      return [...byReason].flatMap(([reason, ds]) =>
        ds.length > 10
          ? [`  ${r.set} ${r.role} ${name}: ${ds.length} cases: ${reason}`]
          : ds.map((d) => `  ${r.set} ${name}: ${d}`),
      );
    }),
  );
  if (divergences.length) lines.push('', 'Reviewed divergences:', ...divergences);
  if (misses > 0)
    for (const r of reports.filter((x) => x.role === 'tune' || heldOutMisses))
      for (const [name, f] of Object.entries(r.fields))
        for (const m of f.misses.slice(0, misses)) lines.push(`  ${r.set} ${r.role} ${name}: ${m}`);
  return lines.join('\n');
}
