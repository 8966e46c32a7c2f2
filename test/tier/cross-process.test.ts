/** Every mutation, clear() included, invalidates L1 copies in another process, in both modes. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TieredCache } from '../../src/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { connectedCache, waitFor } from '../support/tiered.js';

const PEER = fileURLToPath(new URL('./fixtures/peer.ts', import.meta.url));

class Peer {
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
  }

  static start(url: string, namespace: string, mode: string): Peer {
    return new Peer(spawn(process.execPath, ['--import', 'tsx', PEER, url, namespace, mode], { stdio: ['pipe', 'pipe', 'inherit'] }));
  }

  call(command: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push((line) => {
        const reply = JSON.parse(line) as { ok?: unknown; error?: string };
        if (reply.error !== undefined) reject(new Error(reply.error));
        else resolve(reply.ok);
      });
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call({ op: 'close' }).catch(() => {});
    await exited;
  }
}

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

for (const mode of ['tracking', 'pubsub'] as const) {
  describe(`across processes, invalidation: '${mode}'`, () => {
    let here: TieredCache<unknown>;
    let there: Peer;
    before(async () => {
      here = await connectedCache<unknown>({ redis: redis.url, namespace: `xp-${mode}`, invalidation: mode, l1: { maxEntries: 1000 } });
      there = Peer.start(redis.url, `xp-${mode}`, mode);
      await there.call({ op: 'ready' });
    });
    after(async () => {
      await there.stop();
      await here.close();
    });

    const localThere = (key: string) => there.call({ op: 'local', key });
    /** Reads until the key is in that process's L1. */
    const warmThere = (key: string) =>
      waitFor(async () => (await there.call({ op: 'get', key })) !== null && (await localThere(key)) !== null, 5000, `${key} in the peer's L1`);
    const warmHere = (key: string) =>
      waitFor(async () => (await here.get(key)) !== undefined && here.getLocal(key) !== undefined, 5000, `${key} in L1`);

    it('set, delete, invalidateTags and clear in this process reach the other', async () => {
      await here.set('a', 1);
      await here.set('b', 2, { tags: ['t'] });
      await here.set('c', 3);
      for (const key of ['a', 'b', 'c']) await warmThere(key);

      await here.set('a', 10);
      await waitFor(async () => (await localThere('a')) === null, 5000, 'set to reach the peer');
      assert.equal(await there.call({ op: 'get', key: 'a' }), 10);

      await here.delete('c');
      await waitFor(async () => (await localThere('c')) === null, 5000, 'delete to reach the peer');
      assert.equal(await there.call({ op: 'get', key: 'c' }), null);

      await here.invalidateTags(['t']);
      await waitFor(async () => (await localThere('b')) === null, 5000, 'invalidateTags to reach the peer');
      assert.equal(await there.call({ op: 'get', key: 'b' }), null);

      await warmThere('a');
      await here.clear();
      await waitFor(async () => (await localThere('a')) === null, 5000, 'clear to reach the peer');
      assert.equal(await there.call({ op: 'get', key: 'a' }), null);
    });

    it('set, delete, invalidateTags and clear in the other process reach this one', async () => {
      await there.call({ op: 'set', key: 'p', value: 'one' });
      await there.call({ op: 'set', key: 'q', value: 'two', tags: ['u'] });
      await there.call({ op: 'set', key: 'r', value: 'three' });
      for (const key of ['p', 'q', 'r']) await warmHere(key);

      await there.call({ op: 'set', key: 'p', value: 'uno' });
      await waitFor(() => here.getLocal('p') === undefined, 5000, 'set to arrive');
      assert.equal(await here.get('p'), 'uno');

      await there.call({ op: 'delete', key: 'r' });
      await waitFor(() => here.getLocal('r') === undefined, 5000, 'delete to arrive');
      assert.equal(await here.get('r'), undefined);

      await there.call({ op: 'invalidateTags', tags: ['u'] });
      await waitFor(() => here.getLocal('q') === undefined, 5000, 'invalidateTags to arrive');
      assert.equal(await here.get('q'), undefined);

      await warmHere('p');
      await there.call({ op: 'clear' });
      await waitFor(() => here.getLocal('p') === undefined, 5000, 'clear to arrive');
      assert.equal(await here.get('p'), undefined);
    });
  });
}
