/**
 * Trace files as they come: plain, gzip or xz, told apart by their first bytes (not their name).
 * Node has gzip built in but no xz, so xz goes through `xz -dc`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';

export type Compression = 'gzip' | 'xz' | 'none';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

export function compressionOf(head: Buffer): Compression {
  if (head.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, XZ_MAGIC.length).equals(XZ_MAGIC)) return 'xz';
  return 'none';
}

function xzFailure(file: string, error: NodeJS.ErrnoException | undefined, stderr: string): Error {
  if (error?.code === 'ENOENT') return new Error(`cannot decompress ${file}: xz is not installed (it comes with the xz-utils package)`);
  return new Error(`xz -dc ${file} failed: ${error?.message ?? stderr.trim()}`);
}

/** The first bytes of a file (fewer if it is shorter). */
function fileHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(bytes);
    return head.subarray(0, readSync(fd, head, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** The whole decompressed content, at once (the benchmark's traces are small). */
export function readDecompressedSync(file: string): Buffer {
  if (compressionOf(fileHead(file, XZ_MAGIC.length)) === 'xz') {
    const xz = spawnSync('xz', ['-dc', file], { maxBuffer: 1 << 30 });
    if (xz.error || xz.status !== 0) throw xzFailure(file, xz.error, xz.stderr?.toString() ?? '');
    return xz.stdout;
  }
  const data = readFileSync(file);
  return compressionOf(data) === 'gzip' ? gunzipSync(data) : data;
}

/**
 * The decompressed content as a stream, so a file larger than memory can be read. Read it to its
 * end, then await `finished`: a failed xz is known only once it has exited. An unreadable file or
 * corrupt gzip data is the stream's error; opening throws only when the file cannot be opened.
 */
export function openDecompressed(file: string): { stream: Readable; compression: Compression; finished: Promise<void> } {
  const compression = compressionOf(fileHead(file, XZ_MAGIC.length));
  if (compression === 'xz') {
    const xz = spawn('xz', ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    xz.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const finished = new Promise<void>((resolve, reject) => {
      xz.on('error', (error) => reject(xzFailure(file, error, stderr)));
      xz.on('close', (code) => (code === 0 ? resolve() : reject(xzFailure(file, undefined, stderr))));
    });
    return { stream: xz.stdout, compression, finished };
  }
  const raw = createReadStream(file);
  if (compression === 'none') return { stream: raw, compression, finished: Promise.resolve() };
  // pipeline, not pipe: a read error reaches the gunzip stream, and so its reader.
  return { stream: pipeline(raw, createGunzip(), () => {}), compression, finished: Promise.resolve() };
}
