import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyCache } from '../../src/proxy/reply-cache.js';

const reply = (text: string) => Buffer.from(text, 'latin1');

describe('ReplyCache', () => {
  it('returns the stored bytes of each variant of a key, as latin1', () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    cache.put(0, 'k', 'get', reply('$2\r\n\u00e9\u00ff\r\n'));
    cache.put(0, 'k', 'strlen', reply(':2\r\n'));
    cache.put(0, 'k', 'getrange\u00000\u00000', reply('$1\r\n\u00e9\r\n'));
    assert.equal(cache.get('k', 'get'), '$2\r\n\u00e9\u00ff\r\n');
    assert.equal(cache.get('k', 'strlen'), ':2\r\n');
    assert.equal(cache.get('k', 'getrange\u00000\u00000'), '$1\r\n\u00e9\r\n');
    assert.equal(cache.get('k', 'hget'), undefined);
    cache.put(0, 'k', 'strlen', reply(':3\r\n'));
    cache.put(0, 'k', 'get', reply('$1\r\nx\r\n'));
    assert.equal(cache.get('k', 'strlen'), ':3\r\n');
    assert.equal(cache.get('k', 'get'), '$1\r\nx\r\n');
    assert.equal(cache.entries, 1, 'one entry per key');
  });

  it('keeps databases apart and invalidates a key in every one', () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    cache.put(0, 'k', 'get', reply('$1\r\na\r\n'));
    cache.put(3, 'k', 'get', reply('$1\r\nb\r\n'));
    assert.equal(cache.get(ReplyCache.entryKey(0, 'k'), 'get'), '$1\r\na\r\n');
    assert.equal(cache.get(ReplyCache.entryKey(3, 'k'), 'get'), '$1\r\nb\r\n');
    cache.invalidateIn(3, 'k');
    assert.equal(cache.get(ReplyCache.entryKey(3, 'k'), 'get'), undefined);
    cache.put(3, 'k', 'get', reply('$1\r\nb\r\n'));
    cache.invalidate('k');
    assert.equal(cache.get(ReplyCache.entryKey(0, 'k'), 'get'), undefined);
    assert.equal(cache.get(ReplyCache.entryKey(3, 'k'), 'get'), undefined);
  });

  it('never lets a database-0 key that looks like `db NUL key` share an entry with that key in that database', () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    cache.put(5, 'foo', 'get', reply('$2\r\nd5\r\n'));
    cache.put(0, '5\u0000foo', 'get', reply('$2\r\nd0\r\n'));
    cache.put(0, '0\u0000bar', 'get', reply('$1\r\nz\r\n'));
    assert.equal(cache.get(ReplyCache.entryKey(5, 'foo'), 'get'), '$2\r\nd5\r\n');
    assert.equal(cache.get(ReplyCache.entryKey(0, '5\u0000foo'), 'get'), '$2\r\nd0\r\n');
    assert.equal(cache.get(ReplyCache.entryKey(0, 'bar'), 'get'), undefined, "'0 NUL bar' in database 0 is not 'bar'");
    assert.equal(cache.get(ReplyCache.entryKey(0, '0\u0000bar'), 'get'), '$1\r\nz\r\n');
    cache.invalidateIn(5, 'foo');
    assert.equal(cache.get(ReplyCache.entryKey(0, '5\u0000foo'), 'get'), '$2\r\nd0\r\n', 'the database-0 key stays');
    assert.deepEqual(
      cache.hottestKeys(10).map((k) => k.key).sort(),
      ['0\u0000bar', '5\u0000foo'].sort(),
      'hot keys name the Redis keys as written',
    );
  });

  it('expires every variant of a key at the earliest deadline it was stored with', () => {
    let now = 1000.5;
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 10_000, now: () => now });
    cache.put(0, 'k', 'get', reply('$1\r\na\r\n'));
    cache.put(0, 'k', 'strlen', reply(':1\r\n'), 500);
    now += 499;
    assert.equal(cache.get('k', 'get'), '$1\r\na\r\n');
    now += 2;
    assert.equal(cache.get('k', 'get'), undefined, 'the key expires in Redis at the shorter TTL');
    cache.put(0, 'j', 'get', reply('$1\r\nb\r\n'), 0);
    assert.equal(cache.get('j', 'get'), undefined, 'a key already expired is not stored');
  });

  it('never holds more than its budget', () => {
    const cache = new ReplyCache({ maxBytes: 64 * 1024, ttl: 0 });
    for (let i = 0; i < 5000; i++) {
      cache.put(i % 4, `key:${i}`, i % 3 === 0 ? 'get' : `hget\u0000f${i % 7}`, reply(`$${i % 500}\r\n${'v'.repeat(i % 500)}\r\n`));
      assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes after ${i + 1} puts`);
    }
    assert.ok(cache.entries > 0);
  });
});
