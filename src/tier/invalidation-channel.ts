/**
 * How a TieredCache hears that other instances (or, with tracking, anyone) changed keys of its
 * namespace. Whatever the mode, a channel reports to the same three handlers, and its state
 * says whether L1 copies are being kept coherent right now.
 */
export type ChannelState = 'connected' | 'down' | 'off';

export interface ChannelHandlers {
  /** Keys of the namespace (without its prefix) that changed. */
  invalidate(keys: string[]): void;
  /** Everything may have changed: clear(), a FLUSHALL, or the channel was lost or came back. */
  flush(): void;
  stateChanged(state: ChannelState, detail: string): void;
}

export interface InvalidationChannel {
  readonly state: ChannelState;
  start(): void;
  close(): Promise<void>;
}
