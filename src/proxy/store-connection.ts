/**
 * One client connection of the embedded store. The store is synchronous, so every command in a
 * chunk of input is answered before the next chunk is read: replies are in request order by
 * construction, and each chunk's replies go out in one socket write.
 */
import type net from 'node:net';
import type { RespCommand } from '../resp/request-parser.js';
import type { Session } from '../store/index.js';
import { ClientConnection, NOAUTH, type ConnectionLimits } from './client-connection.js';
import type { MeasuredStore } from './measured-store.js';
import { isCacheeCommand } from './recording.js';

/** "ip:port" as Redis prints a peer (IPv6 in brackets). */
function peerAddress(address: string | undefined, port: number | undefined): string | undefined {
  if (address === undefined || port === undefined) return undefined;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A subscriber's unwritten bytes past which it is disconnected: Redis's default hard limit for
 * the pubsub class (client-output-buffer-limit pubsub 32mb). Publishers do not wait for a
 * subscriber that stops reading, so without it the process would buffer for it without end.
 */
const SUBSCRIBER_OUTPUT_LIMIT = 32 * 1024 * 1024;

export class StoreConnection extends ClientConnection {
  private readonly session: Session;

  constructor(
    private readonly store: MeasuredStore,
    socket: net.Socket,
    limits: ConnectionLimits,
    onClosed: (connection: ClientConnection) => void,
  ) {
    super(socket, limits, onClosed);
    this.session = store.newSession({
      address: peerAddress(socket.remoteAddress, socket.remotePort),
      localAddress: peerAddress(socket.localAddress, socket.localPort),
    });
    // Messages for this client from other clients' commands (pub/sub, invalidations) go out with
    // the turn's replies; one for its own command lands before that command's reply, as in Redis.
    this.session.deliver = (bytes) => {
      this.out.push(bytes);
      this.flush();
    };
  }

  /** `answer` for readCommands, made once rather than as a closure per chunk of input. */
  private readonly answerParsed = (command: RespCommand): boolean => this.answer(command);

  protected onData(chunk: Buffer): void {
    this.parser.feed(this.kept(chunk));
    const failure = this.readCommands(this.answerParsed);
    if (failure !== undefined) this.out.push(ClientConnection.protocolErrorReply(failure));
    this.store.broadcastInvalidations();
    this.finishInput();
  }

  /** Queues the reply; false once the client asked to be disconnected (QUIT): the rest is ignored, as Redis does. */
  private answer(command: RespCommand): boolean {
    if (isCacheeCommand(command.args)) {
      this.out.push(this.session.authenticated ? this.answerCachee(this.store, command.args, this.session.protocol) : NOAUTH);
      return !this.recordingActive;
    }
    this.out.push(this.store.execute(this.session, command.args));
    if (!this.session.closeAfterReply) return true;
    this.closing = true;
    return false;
  }

  protected override outputHardLimit(): number {
    return this.session.subscriptions.active ? SUBSCRIBER_OUTPUT_LIMIT : Infinity;
  }

  protected override released(): void {
    this.store.endSession(this.session);
  }
}
