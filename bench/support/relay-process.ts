/**
 * The delay relay as a process of its own, so that its polling neither shares an event loop with
 * the client that measures through it nor with the servers behind it.
 * `node --import tsx bench/support/relay-process.ts TARGET_PORT ONE_WAY_DELAY_MS` prints its port.
 */
import { startDelayRelay } from './delay-relay.js';

const [target, delayMs] = process.argv.slice(2).map(Number);
if (!(target > 0) || !(delayMs >= 0)) {
  console.error('usage: relay-process.ts TARGET_PORT ONE_WAY_DELAY_MS');
  process.exit(2);
}
const relay = await startDelayRelay(target, delayMs);
process.stdout.write(`relay listening on ${relay.port}\n`);
process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
