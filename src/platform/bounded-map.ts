/**
 * `map.set(key, value)` for a map that holds at most `max` entries: the
 * oldest goes first (a Map iterates in insertion order). For the in-memory
 * caches, where recency of insertion is a good enough stand-in for use.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
