/**
 * The listening side shared by both modes of `startProxy`: accept connections up to maxClients
 * (refusing the rest with Redis's error), keep track of them, and close gracefully: stop
 * accepting, let each connection finish the replies it owes, then give up on stragglers.
 */
import net from 'node:net';
import type { ClientHandle } from './client-connection.js';
import type { RunningProxy } from './config.js';

export type Log = (line: string) => void;

const MAX_CLIENTS_ERROR = Buffer.from('-ERR max number of clients reached\r\n');
/** How long closing waits for connections to finish their replies before cutting them off. */
export const SHUTDOWN_GRACE_MS = 5000;

export interface FrontOptions {
  host: string;
  port: number;
  maxClients: number;
  /** Wraps an accepted socket; the connection calls `closed` once when it is gone. */
  accept(socket: net.Socket, closed: (connection: ClientHandle) => void): ClientHandle;
}

export class ClientFront {
  private readonly connections = new Set<ClientHandle>();
  /** Refused past maxClients, told why, not closed yet. */
  private readonly refused = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listens; rejects with the listen error (EADDRINUSE, EACCES, ...). */
  static async listen(options: FrontOptions): Promise<ClientFront> {
    // Half-open: a client that sends its commands and then closes its side (`nc -N`, a script)
    // still gets every reply, as from Redis; the connection ends once they are written.
    const server = net.createServer({ allowHalfOpen: true });
    // Room above maxClients, so the clients past it are accepted and told why they are refused.
    server.maxConnections = options.maxClients + 64;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    const front = new ClientFront(server, address.address, address.port);
    const closed = (connection: ClientHandle) => front.connections.delete(connection);
    server.on('connection', (socket) => {
      if (front.connections.size >= options.maxClients) {
        // Read (and drop) what the client sends, so its FIN or reset is seen and the socket closes.
        front.refused.add(socket);
        socket.on('close', () => front.refused.delete(socket));
        socket.on('error', () => socket.destroy());
        socket.resume();
        socket.end(MAX_CLIENTS_ERROR);
        return;
      }
      front.connections.add(options.accept(socket, closed));
    });
    return front;
  }

  /** Stops accepting, lets every connection finish its replies, resolves once all are closed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const connection of this.connections) connection.shutdown();
      const grace = setTimeout(() => {
        for (const connection of this.connections) connection.destroy();
        for (const socket of this.refused) socket.destroy();
      }, SHUTDOWN_GRACE_MS);
      await stopped;
      clearTimeout(grace);
    })();
    return this.closing;
  }
}

/** A RunningProxy whose `close` runs `stop` once; calling it again returns the same promise. */
export function runningProxy(address: { host: string; port: number }, stop: () => Promise<void>): RunningProxy {
  let closing: Promise<void> | undefined;
  return { host: address.host, port: address.port, close: () => (closing ??= stop()) };
}

/** The RunningProxy of a front: `close` logs, closes the front, then runs `afterClose` (what the mode keeps besides its connections). */
export function frontProxy(front: ClientFront, log: Log, afterClose: () => void = () => {}): RunningProxy {
  return runningProxy(front, async () => {
    log('shutting down: no new connections; finishing replies in flight');
    await front.close();
    afterClose();
  });
}
