// clamd's VERSION command, for the age of its signature database (security.md control 34). clamd
// answers `ClamAV <engine>/<daily db version>/<daily db build time>`, the time in C ctime() form
// (`Mon Dec  7 09:36:02 2026`, clamd's local time zone). With no daily.cvd/.cld (a custom or test
// database only) it answers `ClamAV <engine>` alone: the age is then unknown, not zero.
import net from 'node:net';

const VERSION_COMMAND = Buffer.from('zVERSION\0', 'latin1');
const MAX_VERSION_REPLY = 256;

export interface ClamdVersion {
  engine: string;
  /** Version number of the daily database; null when clamd has none. */
  databaseVersion: number | null;
  /** Build time of the daily database; null when clamd has none or it is unreadable. */
  databaseBuilt: Date | null;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A ctime() time (`Www Mmm dd hh:mm:ss yyyy`), read as UTC: clamd containers run in UTC, and
 * an hour-scale error at worst does not change a verdict measured against a limit in hours. */
function parseCtime(text: string): Date | null {
  const m = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(
    text.trim(),
  );
  const month = m ? months.indexOf(m[1]!) : -1;
  if (!m || month < 0) return null;
  const at = new Date(Date.UTC(+m[6]!, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!));
  return Number.isNaN(at.getTime()) ? null : at;
}

/** null when the reply is not a VERSION answer (e.g. `COMMAND UNAVAILABLE`). */
export function parseClamdVersion(reply: string): ClamdVersion | null {
  const text = reply.replace(/\0[\s\S]*$/, '').trim();
  const m = /^ClamAV ([^/\s]+)(?:\/(\d+)\/(.+))?$/.exec(text);
  if (!m) return null;
  return {
    engine: m[1]!,
    databaseVersion: m[2] ? Number(m[2]) : null,
    databaseBuilt: m[3] ? parseCtime(m[3]) : null,
  };
}

/** Asks clamd for its VERSION; null when it does not answer in time or answers something else. */
export function queryClamdVersion(opts: {
  host: string;
  port: number;
  timeoutMs: number;
}): Promise<ClamdVersion | null> {
  let socket: net.Socket;
  try {
    socket = net.createConnection({ host: opts.host, port: opts.port });
  } catch {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseClamdVersion(answer));
    };
    const timer = setTimeout(done, opts.timeoutMs);
    socket.on('connect', () => socket.write(VERSION_COMMAND));
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answer.includes('\0') || answer.length > MAX_VERSION_REPLY) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}
