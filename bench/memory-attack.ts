/**
 * `node --import tsx bench/memory-attack.ts`: does the proxy give back memory a client made it
 * take? Starts redis-server and `cachee start` (dist/, glibc's threshold fixed as cachee start
 * fixes it), opens --connections connections that each send one SET whose value is --mb MB long
 * but leave its last bytes unsent, then closes them; prints the proxy's VmRSS and VmHWM
 * (/proc/PID/status) before, with the connections open, and each 5 s for 30 s after they close.
 *
 * Flags: --proxy=PATH (default dist/cli/main.js)  --connections=4  --mb=400  --l1-memory=64mb  --max-input-memory=SIZE  --embedded (no upstream)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis, type RedisServer } from '../test/support/redis-server.js';
import { waitFor } from '../test/support/proxy.js';
import { proxyProcessEnv } from '../src/proxy/malloc-tuning.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** The cachee bin to run (--proxy=PATH, to measure another build). */
const PROXY_MAIN = path.resolve(flag('proxy') ?? path.join(HERE, '..', 'dist', 'cli', 'main.js'));
const CONNECTIONS = Number(flag('connections') ?? 4);
const MB = Number(flag('mb') ?? 400);
const EMBEDDED = argv.includes('--embedded');

function memory(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Math.round(Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024);
  return `VmRSS ${field('VmRSS')} MB, VmHWM ${field('VmHWM')} MB`;
}

/** The proxy's largest mappings by RSS (/proc/PID/smaps), to see where what is kept lies. */
function largestMappings(pid: number): string {
  const mappings: { name: string; rss: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mappings.push({ name: line.split(/\s+/).slice(5).join(' ') || '[anon]', rss: 0 });
    else if (line.startsWith('Rss:')) mappings[mappings.length - 1].rss = Number(/(\d+)/.exec(line)?.[1]);
  }
  return mappings
    .sort((a, b) => b.rss - a.rss)
    .slice(0, 8)
    .map((m) => `  ${Math.round(m.rss / 1024)} MB ${m.name}`)
    .join('\n');
}

function drainedOrClosed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/**
 * Sends a SET of an `mb` MB value but its last 10 bytes; resolves once the kernel took it all, or
 * once the proxy disconnected it (--max-input-memory), with `cut` set.
 */
function unfinishedSet(port: number, mb: number): Promise<{ socket: net.Socket; cut: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', async () => {
      const length = mb * 1024 * 1024;
      socket.write(`*3\r\n$3\r\nSET\r\n$6\r\nattack\r\n$${length}\r\n`);
      const block = Buffer.alloc(1024 * 1024, 0x61);
      for (let sent = 0; sent < length - 10 && !socket.destroyed; sent += block.length) {
        const part = Math.min(block.length, length - 10 - sent);
        if (!socket.write(part === block.length ? block : block.subarray(0, part))) await drainedOrClosed(socket);
      }
      resolve({ socket, cut: socket.destroyed });
    });
    socket.on('error', () => {
      socket.destroy();
      resolve({ socket, cut: true });
    });
  });
}

let redis: RedisServer | undefined;
if (!EMBEDDED) redis = await startRedis();
const port = await freePort();
const args = ['start', '--port', String(port), '--admin-port', 'off', '--l1-memory', flag('l1-memory') ?? '64mb'];
if (flag('max-input-memory') !== undefined) args.push('--max-input-memory', flag('max-input-memory')!);
if (redis) args.push('--upstream', redis.url);
const proxy = spawn(process.execPath, [PROXY_MAIN, ...args], { env: proxyProcessEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
proxy.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
try {
  await waitFor(() => output.includes('listening on'), 20_000, 'the proxy to listen');
  await delay(1000);
  const pid = proxy.pid!;
  console.log(`idle:                   ${memory(pid)}`);
  const senders = await Promise.all(Array.from({ length: CONNECTIONS }, () => unfinishedSet(port, MB)));
  await delay(2000);
  const cut = senders.filter((sender) => sender.cut).length;
  console.log(`${CONNECTIONS} x ${MB} MB unfinished: ${memory(pid)} (${cut} disconnected by --max-input-memory)`);
  for (const { socket } of senders) socket.destroy();
  for (let s = 5; s <= 30; s += 5) {
    await delay(5000);
    console.log(`${String(s).padStart(2)} s after close:       ${memory(pid)}`);
  }
  if (argv.includes('--maps')) console.log(largestMappings(pid));
} finally {
  proxy.kill('SIGTERM');
  await new Promise((resolve) => proxy.once('exit', resolve));
  await redis?.stop();
}
