/**
 * The embedded store behind `cachee start` without an upstream Redis:
 *
 *   const store = new Store({ maxBytes: 512 * 1024 ** 2 });
 *   const session = store.newSession({ address: '10.0.0.7:51234' }); // one per connection
 *   socket.write(store.execute(session, args));                     // args: Buffer[] of one command
 *   if (session.closeAfterReply) socket.end();                      // after QUIT
 *   store.endSession(session);                                      // when the connection closes
 */
export { Store } from './store.js';
export type { StoreOptions } from './store.js';
export { Session } from './session.js';
export type { ConnectionInfo } from './session.js';
export { encodeReply } from './reply.js';
export type { Reply } from './reply.js';
export { REDIS_VERSION } from './version.js';
