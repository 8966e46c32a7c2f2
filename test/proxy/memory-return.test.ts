/**
 * Memory a client made the proxy take goes back once it leaves: connections that each sent most
 * of a 100 MB command and closed leave the proxy process's RSS (/proc/PID/status) near where it
 * was. A real `cachee start` process (src/cli/main.ts under tsx), glibc's threshold fixed as
 * `cachee start` fixes it. The bounds are generous: the RSS must come back within 60 MB of the
 * idle figure where, kept, it would stay 200 MB above it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RawClient, waitFor } from '../support/proxy.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';
import { MALLOC_ENV } from '../../src/proxy/malloc-tuning.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const MB = 1024 * 1024;

function rssOf(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
}

/** Sends a SET of a `bytes`-long value but its last 10 bytes; resolves once all of it is written. */
function unfinishedSet(port: number, bytes: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', async () => {
      socket.write(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${bytes}\r\n`);
      const block = Buffer.alloc(MB, 0x61);
      for (let sent = 0; sent < bytes - 10; sent += block.length) {
        const part = block.subarray(0, Math.min(block.length, bytes - 10 - sent));
        if (!socket.write(part)) await new Promise((r) => socket.once('drain', r));
      }
      socket.write('', () => resolve(socket));
    });
    socket.on('error', reject);
  });
}

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

it('gives back the memory of unfinished large commands once their connections close', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const port = await freePort();
  const proxy = spawn(process.execPath, ['--import', TSX, CLI, 'start', '--upstream', redis.url, '--port', String(port), '--admin-port', 'off'], {
    env: { ...process.env, ...MALLOC_ENV },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  proxy.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => proxy.once('exit', resolve));
  try {
    await waitFor(() => output.includes('invalidation: tracking'), 30_000, 'the proxy to start');
    const client = await RawClient.connect(port);
    assert.equal((await client.call('PING')).toString(), '+PONG\r\n');
    const idle = rssOf(proxy.pid!);

    const senders = await Promise.all([unfinishedSet(port, 100 * MB), unfinishedSet(port, 100 * MB)]);
    // The proxy holds what it read: the premise of the test.
    await waitFor(() => rssOf(proxy.pid!) > idle + 180 * MB, 30_000, 'the proxy to hold the two commands');
    for (const sender of senders) sender.destroy();

    await waitFor(() => rssOf(proxy.pid!) < idle + 60 * MB, 20_000, `the RSS to come back near ${Math.round(idle / MB)} MB`).catch((error: Error) => {
      throw new Error(`${error.message}: ${Math.round(rssOf(proxy.pid!) / MB)} MB`);
    });
    assert.equal((await client.call('PING')).toString(), '+PONG\r\n', 'the proxy serves on');
    client.close();
  } finally {
    proxy.kill('SIGTERM');
    await exited;
  }
});
