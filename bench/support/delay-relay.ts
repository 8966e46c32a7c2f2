/**
 * A TCP relay that delays every chunk by a fixed time in each direction, to put a loopback Redis
 * "0.3 ms away" (this machine's kernel has no netem). Order is kept: chunks leave in the order
 * they came, each no earlier than its arrival plus the delay. Node's timers cannot wait less than
 * a millisecond, so short waits poll with setImmediate (the relay spins only while data is due).
 */
import net from 'node:net';

export interface DelayRelay {
  port: number;
  close(): Promise<void>;
}

function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let waiting = false;
  let closed = false;
  const flush = () => {
    waiting = false;
    if (closed) return;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) to.write(queue.shift()!.chunk);
    if (queue.length > 0) wait(queue[0].due - now);
  };
  const wait = (ms: number) => {
    waiting = true;
    if (ms > 2) setTimeout(flush, ms - 1);
    else setImmediate(flush);
  };
  from.on('data', (chunk) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    if (!waiting) wait(delayMs);
  });
  from.on('close', () => {
    closed = true;
    to.destroy();
  });
}

export function startDelayRelay(targetPort: number, delayMs: number, host = '127.0.0.1'): Promise<DelayRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, host);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    delayedPipe(client, upstream, delayMs);
    delayedPipe(upstream, client, delayMs);
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
