/**
 * A `--workers` worker process (see workers.ts): runs one proxy with the config the primary
 * sends, sends its log lines and its address back, and closes when the primary says so or is
 * gone. Signals are the primary's business: it tells each worker to close, so a Ctrl-C that
 * reaches the whole process group does not cut a worker's replies short.
 */
import type { RunningProxy } from './config.js';
import { tuneGcForProxyProcess } from './gc-tuning.js';
import { startProxy } from './server.js';
import type { FromWorker, ToWorker } from './workers.js';

tuneGcForProxyProcess();
let proxy: RunningProxy | undefined;
let stopping = false;

function send(message: FromWorker, then?: () => void): void {
  if (process.connected) process.send!(message, undefined, undefined, () => then?.());
  else then?.();
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (proxy === undefined) process.exit(0); // not serving yet: nothing to finish
  try {
    await proxy.close();
    send({ type: 'log', line: 'stopped' }, () => process.exit(0));
  } catch (error) {
    send({ type: 'log', line: `stopped with an error: ${(error as Error).message}` }, () => process.exit(1));
  }
}

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => void stop());
process.on('message', (message: ToWorker) => {
  if (message.type === 'close') {
    void stop();
    return;
  }
  startProxy(message.config, (line) => send({ type: 'log', line })).then(
    (running) => {
      proxy = running;
      send({ type: 'listening', host: running.host, port: running.port });
    },
    (error: NodeJS.ErrnoException) => send({ type: 'failed', message: error.message, code: error.code }, () => process.exit(1)),
  );
});
send({ type: 'ready' });
