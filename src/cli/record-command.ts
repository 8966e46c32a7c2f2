/**
 * `cachee record --out FILE [--sample R] [--duration D]`: asks a running proxy for its reads
 * (`CACHEE RECORD`, src/proxy/recording.ts) and writes them as a record log
 * (src/proxy/record-format.ts), until the duration is over or Ctrl-C. Every line is written whole,
 * so the log is complete whenever it stops.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import net from 'node:net';
import type { Writable } from 'node:stream';
import type { CliDeps } from './deps.js';
import { CliError, messageOf } from './errors.js';
import { ProgressLine } from './progress.js';
import { connectToProxy, formatAddress, formatCount, proxyFailure } from './status.js';
import { decodeReply, RespError, RespPush, type RespValue } from '../resp/decode.js';
import { encodeCommand } from '../resp/encode.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { formatRecordHeader, formatRecordTrailer, type RecordSource } from '../proxy/record-format.js';

export interface RecordOptions {
  host: string;
  port: number;
  out: string;
  sample: number;
  /** 0: until Ctrl-C. */
  durationMs: number;
  /** For connecting and for the proxy's first answer. */
  timeoutMs: number;
  /** AUTH to send first (see proxyClientAuth). */
  auth?: readonly string[];
}

export interface RecordSummary {
  reads: number;
  /** Distinct keys among them. */
  keys: number;
  /** Reads the proxy could not send because this client fell behind. */
  dropped: number;
  /** Every read the proxy saw while recording, sampled or not; known when it ended the recording itself. */
  seen?: number;
  /** How it ended. */
  end: 'duration' | 'signal' | 'closed';
}

/** Text of a bulk string, or of anything else that prints. */
function text(value: RespValue | undefined): string {
  return Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
}

/** The feed's messages after the first reply: [kind, text] from a RESP2 array or a RESP3 push. */
function message(value: RespValue): [string, string] | undefined {
  const items = value instanceof RespPush ? value.items : Array.isArray(value) ? value : undefined;
  return items?.length === 2 ? [text(items[0]), text(items[1])] : undefined;
}

async function openOut(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'w');
  } catch (err) {
    throw new CliError(`cachee record: cannot write ${file}: ${messageOf(err)}`, 1);
  }
}

/**
 * Streams the proxy's feed into `out`; resolves when the proxy ends it or the socket closes.
 * `stop` (Ctrl-C) sends QUIT, so the proxy ends the recording with its counts, and gives up
 * waiting for them after the timeout (or at a second call). Rejects with a CliError if the proxy
 * refuses to record.
 */
function streamFeed(
  socket: net.Socket,
  out: Writable,
  options: RecordOptions,
  deps: CliDeps,
  onRead: (reads: number) => void,
): { done: Promise<RecordSummary>; stop: () => void } {
  const address = formatAddress(options.host, options.port);
  const failure = proxyFailure('cachee record', address);
  const scanner = new ReplyScanner();
  let started = false;
  let stopping = false;
  let waitingForDrain = false;
  let reads = 0;
  // Keys by the first 52 bits of their hash (a number, half the memory of the hex string; the
  // odds of two keys sharing them are negligible for any log that fits a disk).
  const keys = new Set<number>();
  let settle!: (result: Omit<RecordSummary, 'keys'> | CliError) => void;
  const done = new Promise<RecordSummary>((resolve, reject) => {
    let settled = false;
    settle = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(answerTimer);
      socket.destroy();
      if (result instanceof CliError) reject(result);
      else resolve({ ...result, keys: keys.size });
    };
  });
  const answerTimer = setTimeout(() => settle(failure.noAnswer(options.timeoutMs)), options.timeoutMs);

  const first = (value: RespValue): void => {
    if (value instanceof RespError) {
      settle(new CliError(`cachee record: ${address} cannot record: ${value.message}`, 1));
      return;
    }
    const source = /^OK source=(l1|embedded)$/.exec(typeof value === 'string' ? value : '')?.[1] as RecordSource | undefined;
    if (source === undefined) {
      settle(failure.notCachee(`it answered ${JSON.stringify(text(value)).slice(0, 60)}`));
      return;
    }
    started = true;
    clearTimeout(answerTimer);
    out.write(formatRecordHeader({ sample: options.sample, started: new Date(deps.now()).toISOString(), source }));
  };

  socket.on('data', (chunk: Buffer) => {
    scanner.feed(chunk);
    try {
      for (let reply = scanner.next(); reply !== undefined; reply = scanner.next()) {
        const value = decodeReply(reply.raw);
        if (!started) {
          first(value);
          continue;
        }
        const [kind, body] = message(value) ?? ['', ''];
        if (kind === 'record') {
          // Backpressure: a slow disk pauses the socket (the proxy then drops rather than buffers).
          if (!out.write(`${body}\n`) && !waitingForDrain) {
            waitingForDrain = true;
            socket.pause();
            out.once('drain', () => {
              waitingForDrain = false;
              socket.resume();
            });
          }
          keys.add(parseInt(body.slice(0, 13), 16));
          onRead(++reads);
        } else if (kind === 'record-end') {
          const [, dropped, seen] = body.split(' ').map(Number);
          settle({ reads, dropped: dropped || 0, seen: Number.isSafeInteger(seen) ? seen : undefined, end: stopping ? 'signal' : 'duration' });
        }
      }
    } catch (err) {
      settle(new CliError(`cachee record: ${address} sent something that is not RESP: ${messageOf(err)}`, 1));
    }
  });
  socket.on('error', () => {}); // 'close' follows
  socket.on('close', () => {
    if (started) settle({ reads, dropped: 0, end: stopping ? 'signal' : 'closed' });
    else settle(failure.closed());
  });
  socket.write(encodeCommand(['CACHEE', 'RECORD', String(options.sample), String(options.durationMs)]));
  const stop = () => {
    if (!started || stopping) {
      settle({ reads, dropped: 0, end: 'signal' });
      return;
    }
    stopping = true;
    socket.write(encodeCommand(['QUIT']));
    setTimeout(() => settle({ reads, dropped: 0, end: 'signal' }), options.timeoutMs).unref();
  };
  return { done, stop };
}

export async function runRecord(options: RecordOptions, deps: CliDeps): Promise<number> {
  const address = formatAddress(options.host, options.port);
  const socket = await connectToProxy('cachee record', options.host, options.port, options.timeoutMs, options.auth);
  let file: FileHandle;
  try {
    file = await openOut(options.out);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const out = file.createWriteStream();
  const progress = new ProgressLine(deps);
  const feed = streamFeed(socket, out, options, deps, (reads) => progress.update(`recording to ${options.out}: ${formatCount(reads)} reads (Ctrl-C stops)`));
  const unsubscribe = deps.onSignal(() => feed.stop());
  let summary: RecordSummary;
  try {
    summary = await feed.done;
  } catch (err) {
    out.destroy();
    await file.close().catch(() => {});
    await unlink(options.out).catch(() => {});
    throw err;
  } finally {
    unsubscribe();
    progress.clear();
  }
  if (summary.seen !== undefined) out.write(formatRecordTrailer({ reads: summary.seen, logged: summary.reads, dropped: summary.dropped }));
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve()))).catch((err: unknown) => {
    throw new CliError(`cachee record: cannot write ${options.out}: ${messageOf(err)}`, 1);
  });
  deps.stdout(`recorded ${formatCount(summary.reads)} reads of ${formatCount(summary.keys)} keys to ${options.out} (sample ${options.sample})\n`);
  if (summary.dropped > 0) {
    deps.stderr(`warning: the proxy dropped ${formatCount(summary.dropped)} reads because this client fell behind; the log lacks them\n`);
  }
  if (summary.end === 'closed') {
    deps.stderr(`cachee record: ${address} closed the connection before the recording was over; the log has the reads until then\n`);
    return 1;
  }
  return 0;
}
