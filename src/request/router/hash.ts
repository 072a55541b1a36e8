/**
 * A stable hash of a request id into [0, 1): the same id always lands in the same rollout
 * bucket and the same shadow sample, on every client and after every restart. FNV-1a 32-bit
 * followed by murmur3's finaliser: ids that differ only in their last characters (req-1,
 * req-2, ...) must still spread evenly, and plain FNV-1a leaves its high bits poorly mixed.
 */
export function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
