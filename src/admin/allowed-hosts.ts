/**
 * Which `Host` headers the admin server answers: a defence against DNS rebinding, where a page
 * on evil.example makes its own name resolve to this server's address, so that the browser lets
 * it read the answers (hot key names, metrics). The browser still sends `Host: evil.example`, so
 * the server answers only names it is known by:
 *
 * - bound to one address: that address (as `--host` gave it and as listened on), and
 *   `localhost` when it is a loopback address;
 * - bound to every address (0.0.0.0, ::): any IP address (a rebinding page's Host is always a
 *   name), `localhost` and this machine's hostname;
 * - either way, the names given in `--admin-allowed-hosts` (`*`: any Host, the check off).
 *
 * The port in the Host is not checked (a port forward may change it). A request without Host
 * (HTTP/1.0) is answered: no browser sends one.
 */
import net from 'node:net';
import os from 'node:os';

const WILDCARD = new Set(['0.0.0.0', '::', '', '::0']);

/**
 * The name in a Host header (or an address), as the URL parser canonicalizes it (lower case, an
 * IPv6 address in its short form), without port, brackets or a final dot; undefined if it is not
 * a valid host.
 */
export function hostName(header: string): string | undefined {
  const text = header.trim();
  // A Host is a host and a port: what a URL would read as credentials or a path is not one.
  if (/[@/?#\\\s]/.test(text)) return undefined;
  const bare = net.isIPv6(text) ? `[${text}]` : text;
  try {
    const name = new URL(`http://${bare}/`).hostname.replace(/^\[(.*)\]$/, '$1');
    return name.endsWith('.') ? name.slice(0, -1) : name;
  } catch {
    return undefined;
  }
}

function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1' || address.startsWith('::ffff:127.');
}

/**
 * A predicate over Host headers for a server listening on `boundHost` (as configured) and
 * `listenedOn` (the address it actually bound), answering also the `extra` names.
 */
export function allowedHosts(boundHost: string, listenedOn: string, extra: readonly string[] = []): (header: string | undefined) => boolean {
  if (extra.some((name) => name.trim() === '*')) return () => true;
  const names = new Set<string | undefined>([...extra, boundHost, listenedOn].map(hostName));
  names.delete(undefined);
  const wildcard = WILDCARD.has(boundHost) || WILDCARD.has(listenedOn);
  if (wildcard || isLoopback(boundHost) || isLoopback(listenedOn)) names.add('localhost');
  if (wildcard) names.add(os.hostname().toLowerCase());
  return (header) => {
    if (header === undefined) return true;
    const name = hostName(header);
    return name !== undefined && (names.has(name) || (wildcard && net.isIP(name) !== 0));
  };
}
