/**
 * Reference policies over dense ids (0 .. distinct-1): exact LRU and Bélády's clairvoyant OPT.
 * Both return the number of hits under "get, and on a miss put", counting every request.
 */

/** Exact LRU with `capacity` entries: a doubly linked list in typed arrays, indexed by key. */
export function lruHits(keys: Int32Array, distinct: number, capacity: number): number {
  if (capacity <= 0) return 0;
  const NONE = -1;
  const prev = new Int32Array(distinct).fill(NONE);
  const next = new Int32Array(distinct).fill(NONE);
  const resident = new Uint8Array(distinct);
  let head = NONE; // most recent
  let tail = NONE; // least recent
  let size = 0;
  let hits = 0;

  const unlink = (k: number): void => {
    if (prev[k] === NONE) head = next[k];
    else next[prev[k]] = next[k];
    if (next[k] === NONE) tail = prev[k];
    else prev[next[k]] = prev[k];
  };
  const pushFront = (k: number): void => {
    prev[k] = NONE;
    next[k] = head;
    if (head === NONE) tail = k;
    else prev[head] = k;
    head = k;
  };

  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (resident[k]) {
      hits++;
      if (head !== k) {
        unlink(k);
        pushFront(k);
      }
      continue;
    }
    if (size === capacity) {
      const victim = tail;
      unlink(victim);
      resident[victim] = 0;
    } else {
      size++;
    }
    resident[k] = 1;
    pushFront(k);
  }
  return hits;
}

/**
 * For each request i, the index of the next request for the same key; a key never requested
 * again gets `length + key`, which is beyond every real index and still unique per key, so
 * priorities never tie.
 */
export function nextUses(keys: Int32Array, distinct: number): Int32Array {
  const n = keys.length;
  if (n + distinct > 2 ** 31 - 1) throw new RangeError('trace too long for Int32 next-use indices');
  const out = new Int32Array(n);
  const seen = new Int32Array(distinct).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    const k = keys[i];
    out[i] = seen[k] === -1 ? n + k : seen[k];
    seen[k] = i;
  }
  return out;
}

/**
 * Bélády's OPT that may decline to cache (as Caffeine's `opt.Clairvoyant`): on a miss with the
 * cache full, the newcomer is bypassed if its own next use is farther than every resident's,
 * otherwise the resident used farthest in the future is evicted. Residents live in a max-heap of
 * next-use indices with a position index per key, so a hit re-keys its entry in O(log capacity).
 */
export function optHits(keys: Int32Array, distinct: number, capacity: number, next = nextUses(keys, distinct)): number {
  if (capacity <= 0) return 0;
  const heap = new Int32Array(Math.min(capacity, distinct)); // keys
  const prio = new Int32Array(distinct); // next use of each resident key
  const pos = new Int32Array(distinct).fill(-1); // heap slot of each key, -1 when not resident
  let size = 0;
  let hits = 0;

  const place = (slot: number, k: number): void => {
    heap[slot] = k;
    pos[k] = slot;
  };
  const siftUp = (slot: number): void => {
    const k = heap[slot];
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (prio[heap[parent]] >= prio[k]) break;
      place(slot, heap[parent]);
      slot = parent;
    }
    place(slot, k);
  };
  const siftDown = (slot: number): void => {
    const k = heap[slot];
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= size) break;
      if (child + 1 < size && prio[heap[child + 1]] > prio[heap[child]]) child++;
      if (prio[heap[child]] <= prio[k]) break;
      place(slot, heap[child]);
      slot = child;
    }
    place(slot, k);
  };

  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const slot = pos[k];
    if (slot >= 0) {
      hits++;
      // The next use only moves later, so the entry can only rise in a max-heap.
      prio[k] = next[i];
      siftUp(slot);
    } else if (size < heap.length) {
      prio[k] = next[i];
      place(size, k);
      siftUp(size++);
    } else {
      const farthest = heap[0];
      if (next[i] > prio[farthest]) continue; // bypass: the newcomer is the worst choice to keep
      pos[farthest] = -1;
      prio[k] = next[i];
      place(0, k);
      siftDown(0);
    }
  }
  return hits;
}
