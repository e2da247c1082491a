// Options of the soak bench (--mailboxes, --minutes, --rate, --reply-rate, --workers, --sample) and
// the inotify room Dovecot needs to IDLE on that many mailboxes.
import { readFileSync, writeFileSync } from 'node:fs';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const opts = {
  mailboxes: flag('mailboxes', 200),
  minutes: flag('minutes', 10),
  rate: flag('rate', 10),
  replyRate: flag('reply-rate', 1),
  workers: flag('workers', 2),
  sampleS: flag('sample', 10),
};

/**
 * Dovecot watches a mailbox in IDLE with one inotify instance per imap process, and every test
 * user runs under one UID. Past fs.inotify.max_user_instances (128 by default) Dovecot logs
 * "Inotify instance limit … exceeded" and only looks for new mail every
 * mailbox_idle_check_interval (30 s), which the soak would report as Inlet's latency (p99 ≈ 30 s at
 * 200 mailboxes). The limit is raised when this process may (root), and said otherwise.
 */
export function roomForIdle(mailboxes: number): void {
  const file = '/proc/sys/fs/inotify/max_user_instances';
  const need = mailboxes * 2 + 64;
  let limit = NaN;
  try {
    limit = Number(readFileSync(file, 'utf8').trim());
    if (limit >= need) return;
    writeFileSync(file, String(need));
    console.log(`fs.inotify.max_user_instances raised from ${limit} to ${need} for Dovecot's IDLE`);
  } catch {
    console.log(
      `warning: fs.inotify.max_user_instances is ${Number.isNaN(limit) ? 'unknown' : limit}, below the ${need} Dovecot needs for ${mailboxes} mailboxes in IDLE: mailboxes past it are told of new mail only every 30 s, which shows as latency here`,
    );
  }
}
