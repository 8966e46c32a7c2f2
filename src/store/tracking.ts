/**
 * CLIENT TRACKING's bookkeeping and invalidation messages, after Redis 7.0's tracking.c.
 *
 * Default mode: the keys a tracking client read are remembered by key name (whatever the
 * database, as Redis's tracking table is), each with the ids of the clients that read it; the
 * first change to such a key forgets it and tells each of them once. BCAST mode: a change to a
 * key under a prefix some client registered is remembered until the end of the input being
 * handled (Redis: until beforeSleep), then each such client gets the prefix's changed keys in
 * one message. A flush tells every tracking client with a null.
 *
 * An invalidation for the client whose command caused it is held until that command has been
 * answered (Redis 7.0.15's tracking_pending_keys), so it follows the reply; others go at once.
 */
import { encodeArray, encodeBulkString, encodeInteger, encodeNull, encodePush } from '../resp/encode.js';
import type { Session } from './session.js';

/** A client's CLIENT TRACKING settings (Redis keeps them as client flags). */
export interface TrackingState {
  /** The id invalidations go to instead of this client; 0: none. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** The redirect's client went away (CLIENT LIST's `R`). */
  brokenRedirect: boolean;
  /** CLIENT CACHING yes|no given for the next command (or transaction). */
  caching: boolean;
  /** BCAST's prefixes; kept by CLIENT TRACKING on while on, so a second call adds to them. */
  prefixes: Set<string>;
}

export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

/** What tracking needs of the server around it. */
export interface TrackingHost {
  sessionById(id: number): Session | undefined;
  sessions(): Iterable<Session>;
  /** Bytes for `session` out of band (see Store.send). */
  send(session: Session, bytes: Buffer): void;
}

interface BroadcastPrefix {
  readonly sessions: Set<Session>;
  /** Keys changed since the last broadcast, each with the client whose command changed it (none: expiry, eviction). */
  changed: Map<string, Session | undefined>;
}

const INVALIDATE = encodeBulkString('invalidate');
const REDIRECT_BROKEN = encodeBulkString('tracking-redir-broken');
const MESSAGE = encodeBulkString('message');
/** RESP2 clients get invalidations as messages on this channel, when redirected to. */
const INVALIDATE_CHANNEL = encodeBulkString('__redis__:invalidate');

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Tracking {
  /** Key -> ids of the clients that read it since its last change. */
  private readonly readers = new Map<string, Set<number>>();
  /** BCAST prefix -> its clients and the keys changed under it. */
  private readonly prefixes = new Map<string, BroadcastPrefix>();
  /** Some prefix has changed keys since the last broadcast (its fast exit, run after every input). */
  private broadcastOwed = false;
  /**
   * The client whose command runs now (Redis's current_client), if it tracks (set by the store,
   * or by `enable` for a command that turns tracking on): its own invalidations wait for its reply.
   */
  running: Session | undefined = undefined;
  /** Invalidations owed to `running` after its reply: keys, null for a flush. */
  private pending: (string | null)[] = [];
  /** tracking-table-max-keys: the most keys remembered for their readers (0: no limit); Redis's default. */
  maxKeys = 1_000_000;

  constructor(private readonly host: TrackingHost) {}

  /** Nothing is remembered: a write has nothing to look up (its fast exit). */
  get idle(): boolean {
    return this.readers.size === 0 && this.prefixes.size === 0;
  }

  /** INFO's tracking_total_keys, tracking_total_items (key-reader pairs) and tracking_total_prefixes. */
  get keyCount(): number {
    return this.readers.size;
  }

  get itemCount(): number {
    let items = 0;
    for (const ids of this.readers.values()) items += ids.size;
    return items;
  }

  get prefixCount(): number {
    return this.prefixes.size;
  }

  get hasPending(): boolean {
    return this.pending.length !== 0;
  }

  /** Some BCAST prefix has changed keys not yet broadcast. */
  get owesBroadcast(): boolean {
    return this.broadcastOwed;
  }

  /** CLIENT TRACKING on, its options already checked (see commands/client-tracking.ts). */
  enable(session: Session, options: TrackingOptions): void {
    // Enabled by its own command, which from here on is a tracking client's (see `running`).
    this.running = session;
    const state = (session.tracking ??= {
      redirect: 0,
      bcast: false,
      optin: false,
      optout: false,
      noloop: false,
      brokenRedirect: false,
      caching: false,
      prefixes: new Set(),
    });
    state.redirect = options.redirect;
    state.bcast = options.bcast;
    state.optin = options.optin;
    state.optout = options.optout;
    state.noloop = options.noloop;
    state.brokenRedirect = false;
    if (!options.bcast) return;
    for (const prefix of options.prefixes.length === 0 ? [''] : options.prefixes) {
      let entry = this.prefixes.get(prefix);
      if (entry === undefined) this.prefixes.set(prefix, (entry = { sessions: new Set(), changed: new Map() }));
      entry.sessions.add(session);
      state.prefixes.add(prefix);
    }
  }

  /**
   * CLIENT TRACKING off, RESET, the connection's end. The keys it read stay remembered, as in
   * Redis: a client that turns tracking on again is told of their next change.
   */
  disable(session: Session): void {
    const state = session.tracking;
    if (state === undefined) return;
    for (const prefix of state.prefixes) {
      const entry = this.prefixes.get(prefix);
      entry?.sessions.delete(session);
      if (entry?.sessions.size === 0) this.prefixes.delete(prefix);
    }
    session.tracking = undefined;
  }

  /** The keys a tracking client's read-only command named, unless OPTIN/OPTOUT and CLIENT CACHING say otherwise. */
  remember(session: Session, state: TrackingState, keys: Iterable<string>): void {
    if (state.optin ? !state.caching : state.optout && state.caching) return;
    for (const key of keys) {
      let ids = this.readers.get(key);
      if (ids === undefined) this.readers.set(key, (ids = new Set()));
      ids.add(session.id);
    }
  }

  /** `key` changed: by the running command if `byCommand`, else by expiry or eviction. */
  keyChanged(key: string, byCommand: boolean): void {
    if (this.prefixes.size > 0) this.rememberForBroadcast(key, byCommand ? this.running : undefined);
    this.invalidateReaders(key, this.running, true);
  }

  /**
   * trackingLimitUsedSlots: past `maxKeys` remembered keys, forgets keys until back at the limit
   * (the longest remembered first; Redis picks them at random), telling their readers as if the
   * keys had changed, at once. Run before each command (`current`: its client, which NOLOOP
   * spares) and, with no current client, when the limit is lowered (Redis: its cron).
   */
  limitKeys(current: Session | undefined): void {
    if (this.maxKeys === 0) return;
    for (const key of this.readers.keys()) {
      if (this.readers.size <= this.maxKeys) return;
      this.invalidateReaders(key, current, false);
    }
  }

  /**
   * Forgets who read `key`, telling each of them; `current` (Redis's current client) is not told
   * in NOLOOP mode, and is told after its command's reply if `afterReply`.
   */
  private invalidateReaders(key: string, current: Session | undefined, afterReply: boolean): void {
    const ids = this.readers.get(key);
    if (ids === undefined) return;
    this.readers.delete(key);
    for (const id of ids) {
      const target = this.host.sessionById(id);
      const state = target?.tracking;
      if (target === undefined || state === undefined || state.bcast) continue;
      if (target === current && state.noloop) continue;
      if (target === current && afterReply) this.pending.push(key);
      else this.sendInvalidation(target, state, encodeArray([encodeBulkString(Buffer.from(key, 'latin1'))]));
    }
  }

  /** FLUSHDB, FLUSHALL: every tracking client is told with a null (BCAST and NOLOOP ones too), and every key forgotten. */
  flushed(): void {
    for (const session of this.host.sessions()) {
      const state = session.tracking;
      if (state === undefined) continue;
      if (session === this.running) this.pending.push(null);
      else this.sendInvalidation(session, state, encodeNull(session.protocol));
    }
    this.readers.clear();
  }

  /** Sends what `running`'s command owes it, after its reply. */
  sendPending(session: Session): void {
    const pending = this.pending;
    this.pending = [];
    for (const key of pending) {
      const state = session.tracking;
      // As Redis: owed even if the command turned tracking off (sent as if it were on, without a redirect).
      const payload = key === null ? encodeNull(session.protocol) : encodeArray([encodeBulkString(Buffer.from(key, 'latin1'))]);
      this.sendInvalidation(session, state ?? { redirect: 0, brokenRedirect: false }, payload);
    }
  }

  /** Tells each BCAST client the keys changed under its prefixes since the last call. */
  broadcast(): void {
    if (!this.broadcastOwed) return;
    this.broadcastOwed = false;
    for (const prefix of [...this.prefixes.keys()].sort(byteOrder)) {
      const entry = this.prefixes.get(prefix)!;
      if (entry.changed.size === 0) continue;
      const changed = [...entry.changed].sort(([a], [b]) => byteOrder(a, b));
      entry.changed = new Map();
      const all = keysArray(changed, undefined);
      for (const session of entry.sessions) {
        const state = session.tracking!;
        const keys = state.noloop ? keysArray(changed, session) : all;
        if (keys !== undefined) this.sendInvalidation(session, state, keys);
      }
    }
  }

  /**
   * checkPrefixCollisionsOrReply: the first new prefix that overlaps (one starts the other) one the
   * client has (`existing`), or a later new one; undefined if none does.
   */
  prefixCollision(session: Session, prefixes: readonly string[]): { prefix: string; clash: string; existing: boolean } | undefined {
    const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
    const existing = Tracking.sortedPrefixes(session.tracking);
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i];
      const clash = existing.find((other) => overlap(other, prefix));
      if (clash !== undefined) return { prefix, clash, existing: true };
      const later = prefixes.slice(i + 1).find((other) => overlap(other, prefix));
      if (later !== undefined) return { prefix, clash: later, existing: false };
    }
    return undefined;
  }

  /** The client's prefixes in Redis's (byte) order, for CLIENT TRACKINGINFO. */
  static sortedPrefixes(state: TrackingState | undefined): string[] {
    return [...(state?.prefixes ?? [])].sort(byteOrder);
  }

  private rememberForBroadcast(key: string, writer: Session | undefined): void {
    for (const [prefix, entry] of this.prefixes) {
      if (!key.startsWith(prefix)) continue;
      entry.changed.set(key, writer);
      this.broadcastOwed = true;
    }
  }

  /**
   * sendTrackingMessage: to the client, or to its redirect (which, in RESP2, gets it as a
   * message on __redis__:invalidate if it is subscribed to anything, else not at all). A
   * redirect that went away marks the client, which hears of it if it speaks RESP3.
   */
  private sendInvalidation(session: Session, state: Pick<TrackingState, 'redirect' | 'brokenRedirect'>, payload: Buffer): void {
    let target = session;
    const redirected = state.redirect !== 0;
    if (redirected) {
      const redirect = this.host.sessionById(state.redirect);
      if (redirect === undefined) {
        state.brokenRedirect = true;
        if (session.protocol === 3) this.host.send(session, encodePush([REDIRECT_BROKEN, encodeInteger(state.redirect)], 3));
        return;
      }
      target = redirect;
    }
    if (target.protocol === 3) this.host.send(target, encodePush([INVALIDATE, payload], 3));
    else if (redirected && target.subscriptions.active) this.host.send(target, encodeArray([MESSAGE, INVALIDATE_CHANNEL, payload]));
  }
}

/** The changed keys as an array, those `noloop` changed left out; undefined if none is left. */
function keysArray(changed: readonly [string, Session | undefined][], noloop: Session | undefined): Buffer | undefined {
  const keys = noloop === undefined ? changed : changed.filter(([, writer]) => writer !== noloop);
  if (keys.length === 0) return undefined;
  return encodeArray(keys.map(([key]) => encodeBulkString(Buffer.from(key, 'latin1'))));
}
