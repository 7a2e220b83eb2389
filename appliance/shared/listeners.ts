/**
 * @module Listeners by key (a stream id, a run id): add one and get the function that removes it;
 * emit to a key's listeners. A key with no listener left holds nothing.
 */
export class KeyedListeners<K, T> {
  private readonly byKey = new Map<K, Set<(value: T) => void>>();

  add(key: K, fn: (value: T) => void): () => void {
    const set = this.byKey.get(key) ?? new Set();
    this.byKey.set(key, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.byKey.delete(key);
    };
  }

  emit(key: K, value: T): void {
    for (const fn of this.byKey.get(key) ?? []) fn(value);
  }
}
