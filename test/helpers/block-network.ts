// Tests never reach the internet: any TCP connection to a host that is not loopback fails at once.
// (Provider APIs are local fakes; a test that silently dialled Google would be a bug.)
import net from 'node:net';

const loopback = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
const original = net.Socket.prototype.connect;

function hostOf(args: unknown[]): string | null {
  const [first, second] = args as [unknown, unknown];
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const o = first as { host?: string; path?: string };
    if (o.path) return null; // unix socket
    return o.host ?? 'localhost';
  }
  if (Array.isArray(first)) return hostOf(first);
  if (typeof first === 'number') return typeof second === 'string' ? second : 'localhost';
  return null; // path string: unix socket
}

net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
  const host = hostOf(args);
  if (host !== null && !loopback.has(host) && !host.startsWith('127.')) {
    throw new Error(`outbound network is blocked in tests (attempted ${host})`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
