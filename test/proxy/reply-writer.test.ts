import assert from 'node:assert/strict';
import type net from 'node:net';
import { describe, it } from 'node:test';
import { ReplyWriter } from '../../src/proxy/reply-writer.js';

/** A socket stand-in: records what is written, and queues (keeps) writes while `stalled`. */
class FakeSocket {
  written: Buffer[] = [];
  /** The Buffers handed to write, as given (views included), to check they are not reused. */
  handed: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  stalled = false;
  corks = 0;

  write(chunk: Buffer): boolean {
    this.handed.push(chunk);
    this.written.push(Buffer.from(chunk));
    if (this.stalled) this.writableLength += chunk.length;
    return !this.stalled;
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {}
}

function writer(): { socket: FakeSocket; out: ReplyWriter } {
  const socket = new FakeSocket();
  return { socket, out: new ReplyWriter(socket as unknown as net.Socket) };
}

describe('ReplyWriter', () => {
  it('writes a turn of Buffers and latin1 strings in one write, in order', () => {
    const { socket, out } = writer();
    assert.equal(out.empty, true);
    out.push(Buffer.from('+OK\r\n'));
    out.push('$3\r\nfoo\r\n');
    out.push('$40\r\n' + 'x'.repeat(40) + '\r\n');
    out.push('$2\r\n\u00e9\u00ff\r\n');
    assert.equal(out.empty, false);
    assert.equal(out.flush(), 0);
    assert.equal(socket.written.length, 1);
    assert.deepEqual(socket.written[0], Buffer.concat([Buffer.from('+OK\r\n$3\r\nfoo\r\n'), Buffer.from('$40\r\n' + 'x'.repeat(40) + '\r\n'), Buffer.from('$2\r\n\u00e9\u00ff\r\n', 'latin1')]));
    assert.equal(out.empty, true);
    assert.equal(out.flush(), 0);
    assert.equal(socket.written.length, 1, 'nothing to write: no write');
  });

  it('copies byte ranges of another Buffer (L1 arena records) in order with the rest', () => {
    const { socket, out } = writer();
    const record = Buffer.from('key:1$3\r\nabc\r\n' + 'y'.repeat(100), 'latin1');
    out.push('+OK\r\n');
    out.pushBytes(record, 5, 9);
    out.pushBytes(record, 14, 100);
    out.pushBytes(record, 0, 0);
    record.fill(0);
    out.flush();
    assert.equal(socket.written.length, 1);
    assert.equal(socket.written[0].toString('latin1'), '+OK\r\n$3\r\nabc\r\n' + 'y'.repeat(100), 'copied when pushed, not when flushed');
  });

  it('keeps order across a full buffer and large Buffers written as they are', () => {
    const { socket, out } = writer();
    const expected: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const reply = i % 50 === 7 ? Buffer.alloc(20_000, 0x61 + (i % 26)) : Buffer.from(`:${i}\r\n`.repeat(i % 13));
      expected.push(reply);
      out.push(i % 2 === 0 ? reply : reply.toString('latin1'));
    }
    out.flush();
    assert.ok(socket.corks > 0, 'several pieces go out corked');
    assert.deepEqual(Buffer.concat(socket.written), Buffer.concat(expected));
  });

  it('does not reuse a buffer the socket still queues', () => {
    const { socket, out } = writer();
    socket.stalled = true;
    out.push('$5\r\nfirst\r\n');
    assert.ok(out.flush() > 0);
    out.push('$6\r\nsecond\r\n');
    out.flush();
    assert.equal(socket.handed[0].toString('latin1'), '$5\r\nfirst\r\n', 'the queued bytes are left alone');
    assert.equal(socket.handed[1].toString('latin1'), '$6\r\nsecond\r\n');
  });

  it('reuses its buffer (and its view of a length) once the kernel took every byte, never one still queued', () => {
    const { socket, out } = writer();
    for (const reply of ['$1\r\na\r\n', '$1\r\nb\r\n', '$1\r\nc\r\n', '$1\r\nd\r\n']) {
      out.push(reply);
      out.flush();
      // From the third write on, the socket keeps what it is given.
      socket.stalled = socket.handed.length >= 2;
    }
    assert.equal(socket.handed[0], socket.handed[1], 'the same length written at once: one view, reused');
    assert.notEqual(socket.handed[3].buffer, socket.handed[2].buffer, 'a queued view keeps its buffer');
    assert.deepEqual(socket.written.map((b) => b.toString('latin1')), ['$1\r\na\r\n', '$1\r\nb\r\n', '$1\r\nc\r\n', '$1\r\nd\r\n']);
    assert.equal(socket.handed[2].toString('latin1'), '$1\r\nc\r\n', 'the queued bytes are left alone');
  });

  it('drops what it holds when the socket is gone', () => {
    const { socket, out } = writer();
    socket.destroyed = true;
    out.push('+OK\r\n');
    out.flush();
    assert.equal(socket.written.length, 0);
    assert.equal(out.empty, true);
  });
});
