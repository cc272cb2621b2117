// A seeded stand-in for Math.random (mulberry32): the same seed gives the same sequence, so a
// mock-backed demo or load test (CALLGATE_MOCK_SEED) replays the same faults on every run.

/** Returns numbers in [0, 1); only the seed's low 32 bits count. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32 (Tommy Ettinger): one 32-bit state word, full period 2^32, fast and good enough
    // for picking faults; not for anything that must be unpredictable.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
