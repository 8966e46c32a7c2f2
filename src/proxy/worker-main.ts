/**
 * A `--workers` worker process (see workers.ts): runs one proxy with the config the primary
 * sends, sends its log lines and its address back, answers the primary's requests for its
 * metrics and hot keys (the primary's admin server speaks for every worker), and closes when the
 * primary says so or is gone. Signals are the primary's business: it tells each worker to close, so a Ctrl-C that
 * reaches the whole process group does not cut a worker's replies short.
 */
import type { RunningProxy } from './config.js';
import { tuneGcForProxyProcess } from './gc-tuning.js';
import { startFront } from './server.js';
import type { FrontTelemetry } from './telemetry.js';
import type { FromWorker, ToWorker } from './workers.js';

tuneGcForProxyProcess();
let proxy: RunningProxy | undefined;
let telemetry: FrontTelemetry | undefined;
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
  switch (message.type) {
    case 'close':
      void stop();
      return;
    case 'start':
      startFront(message.config, (line) => send({ type: 'log', line })).then(
        (front) => {
          proxy = front.running;
          telemetry = front.telemetry;
          send({ type: 'listening', host: proxy.host, port: proxy.port });
        },
        (error: NodeJS.ErrnoException) => send({ type: 'failed', message: error.message, code: error.code }, () => process.exit(1)),
      );
      return;
    case 'snapshot':
      void telemetry?.snapshot().then((snapshot) => send({ type: 'snapshot', id: message.id, snapshot }));
      return;
    case 'hot-keys':
      if (telemetry !== undefined) send({ type: 'hot-keys', id: message.id, keys: telemetry.hottestKeys(message.limit) });
      return;
  }
});
send({ type: 'ready' });
