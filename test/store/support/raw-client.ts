/**
 * A minimal Redis client that returns each reply's exact bytes, for comparing a real Redis with
 * the store byte for byte. Commands are pipelined; replies are split with the codec's scanner.
 */
import net from 'node:net';
import { ReplyScanner } from '../../../src/resp/index.js';

export type Arg = string | Buffer;

/** Arguments as Buffers; strings are taken as latin1 (one byte per char) so any byte can be sent. */
export function toArgs(command: readonly Arg[]): Buffer[] {
  return command.map((arg) => (typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg));
}

function encode(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

export class RawClient {
  private readonly scanner = new ReplyScanner();
  private readonly waiting: ((reply: Buffer) => void)[] = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.scanner.feed(chunk);
      for (let reply = this.scanner.next(); reply !== undefined; reply = this.scanner.next()) {
        this.waiting.shift()?.(Buffer.from(reply.raw));
      }
    });
    socket.on('error', (error) => {
      this.failure = error;
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends every command at once; resolves with each reply's bytes, in order. */
  pipeline(commands: readonly (readonly Arg[])[]): Promise<Buffer[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const replies = commands.map(() => new Promise<Buffer>((resolve) => this.waiting.push(resolve)));
    this.socket.write(Buffer.concat(commands.map((command) => encode(toArgs(command)))));
    return Promise.all(replies);
  }

  async send(...command: Arg[]): Promise<Buffer> {
    const [reply] = await this.pipeline([command]);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }
}
