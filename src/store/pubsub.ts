/**
 * Pub/sub's bookkeeping, after Redis 7.0's pubsub.c: who is subscribed to which channel, shard
 * channel and pattern, and the delivery of a published message to each of them. A channel's
 * subscribers get it in the order they subscribed, then the pattern subscribers, pattern by
 * pattern (Redis visits its patterns in hash-table order; here, in the order they were first
 * subscribed to). Shard channels (SSUBSCRIBE) are a separate namespace that patterns never match.
 */
import { encodeBulkString, encodePush } from '../resp/encode.js';
import { globMatch } from './glob.js';
import type { Session } from './session.js';

export type ChannelKind = 'channel' | 'shard';

/** One client's subscriptions (Redis's c->pubsub_channels, pubsub_patterns, pubsubshard_channels). */
export class Subscriptions {
  readonly channels = new Set<string>();
  readonly shardChannels = new Set<string>();
  readonly patterns = new Set<string>();
  /**
   * Redis's CLIENT_PUBSUB: set by any subscribe, cleared when an unsubscribe leaves none. A RESP2
   * client with it may only (un)subscribe, PING, QUIT and RESET.
   */
  active = false;

  of(kind: ChannelKind): Set<string> {
    return kind === 'channel' ? this.channels : this.shardChannels;
  }

  /** The count SUBSCRIBE and PSUBSCRIBE report: channels and patterns (SSUBSCRIBE reports its own). */
  countFor(kind: ChannelKind): number {
    return kind === 'channel' ? this.channels.size + this.patterns.size : this.shardChannels.size;
  }

  get total(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }
}

const MESSAGE = encodeBulkString('message');
const PMESSAGE = encodeBulkString('pmessage');
const SMESSAGE = encodeBulkString('smessage');

export class PubSub {
  private readonly channels = new Map<string, Set<Session>>();
  private readonly shardChannels = new Map<string, Set<Session>>();
  private readonly patterns = new Map<string, Set<Session>>();

  constructor(private readonly send: (session: Session, bytes: Buffer) => void) {}

  /** Adds the subscription; false if it was there already. */
  subscribe(session: Session, channel: string, kind: ChannelKind): boolean {
    const own = session.subscriptions.of(kind);
    if (own.has(channel)) return false;
    own.add(channel);
    addMember(kind === 'channel' ? this.channels : this.shardChannels, channel, session);
    return true;
  }

  /** Removes the subscription; false if there was none. */
  unsubscribe(session: Session, channel: string, kind: ChannelKind): boolean {
    if (!session.subscriptions.of(kind).delete(channel)) return false;
    removeMember(kind === 'channel' ? this.channels : this.shardChannels, channel, session);
    return true;
  }

  psubscribe(session: Session, pattern: string): boolean {
    const own = session.subscriptions.patterns;
    if (own.has(pattern)) return false;
    own.add(pattern);
    addMember(this.patterns, pattern, session);
    return true;
  }

  punsubscribe(session: Session, pattern: string): boolean {
    if (!session.subscriptions.patterns.delete(pattern)) return false;
    removeMember(this.patterns, pattern, session);
    return true;
  }

  /** Every subscription of `session` dropped without a word (RESET, the connection's end). */
  unsubscribeAll(session: Session): void {
    const own = session.subscriptions;
    for (const channel of own.channels) removeMember(this.channels, channel, session);
    for (const channel of own.shardChannels) removeMember(this.shardChannels, channel, session);
    for (const pattern of own.patterns) removeMember(this.patterns, pattern, session);
    own.channels.clear();
    own.shardChannels.clear();
    own.patterns.clear();
    own.active = false;
  }

  /** Sends `message` to every subscriber of `channel`; returns how many got it. */
  publish(channel: string, message: string, kind: ChannelKind): number {
    const encodedChannel = encodeBulkString(Buffer.from(channel, 'latin1'));
    const encodedMessage = encodeBulkString(Buffer.from(message, 'latin1'));
    let receivers = 0;
    const direct = (kind === 'channel' ? this.channels : this.shardChannels).get(channel);
    if (direct !== undefined) {
      const head = kind === 'channel' ? MESSAGE : SMESSAGE;
      for (const session of direct) this.send(session, encodePush([head, encodedChannel, encodedMessage], session.protocol));
      receivers += direct.size;
    }
    if (kind === 'shard') return receivers;
    for (const [pattern, sessions] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      const encodedPattern = encodeBulkString(Buffer.from(pattern, 'latin1'));
      for (const session of sessions) {
        this.send(session, encodePush([PMESSAGE, encodedPattern, encodedChannel, encodedMessage], session.protocol));
      }
      receivers += sessions.size;
    }
    return receivers;
  }

  /** Channels with at least one subscriber, those matching `pattern` if given (PUBSUB CHANNELS). */
  activeChannels(kind: ChannelKind, pattern: string | undefined): string[] {
    const names = [...(kind === 'channel' ? this.channels : this.shardChannels).keys()];
    return pattern === undefined ? names : names.filter((name) => globMatch(pattern, name));
  }

  subscriberCount(channel: string, kind: ChannelKind): number {
    return (kind === 'channel' ? this.channels : this.shardChannels).get(channel)?.size ?? 0;
  }

  /** Channels with at least one subscriber (INFO's pubsub_channels, pubsubshard_channels). */
  channelCount(kind: ChannelKind): number {
    return (kind === 'channel' ? this.channels : this.shardChannels).size;
  }

  /** Distinct patterns subscribed to, by anyone (PUBSUB NUMPAT). */
  get patternCount(): number {
    return this.patterns.size;
  }
}

function addMember(index: Map<string, Set<Session>>, name: string, session: Session): void {
  let sessions = index.get(name);
  if (sessions === undefined) index.set(name, (sessions = new Set()));
  sessions.add(session);
}

function removeMember(index: Map<string, Set<Session>>, name: string, session: Session): void {
  const sessions = index.get(name);
  if (sessions === undefined) return;
  sessions.delete(session);
  if (sessions.size === 0) index.delete(name);
}
