/** Command arguments for byte-exact comparisons of the store with a real Redis. */
export type Arg = string | Buffer;

/** Arguments as Buffers; strings are taken as latin1 (one byte per char) so any byte can be sent. */
export function toArgs(command: readonly Arg[]): Buffer[] {
  return command.map((arg) => (typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg));
}
