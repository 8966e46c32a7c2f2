/**
 * Authenticating one of cachee's own connections to Redis with the credentials of its URL.
 */
import type { UpstreamConnection, UpstreamTarget } from './redis-connection.js';

/** `AUTH [user] password` for the target's credentials; undefined when it has none. */
export function authCommand(target: Pick<UpstreamTarget, 'username' | 'password'>): string[] | undefined {
  const { username, password } = target;
  if (password === undefined) return undefined;
  return username === undefined ? ['AUTH', password] : ['AUTH', username, password];
}

/** Sends the target's AUTH, if it has credentials; throws with Redis's error when refused. */
export async function authenticate(connection: UpstreamConnection, target: Pick<UpstreamTarget, 'username' | 'password'>): Promise<void> {
  const command = authCommand(target);
  if (command === undefined) return;
  const reply = await connection.call(command);
  if (reply[0] === 0x2d) throw new Error(`upstream refused the URL's credentials: ${reply.toString('latin1', 1).trim()}`);
}
