import { describe, expect, it } from 'vitest';
import { sharedBarrier } from './listener.js';

/** Barriers that finish only when the test says so, in the order they were sent. */
function manualBarriers() {
  const pending: Array<() => void> = [];
  return {
    barrier: () =>
      new Promise<void>((resolve) => {
        pending.push(resolve);
      }),
    sent: () => pending.length,
    finishNext: async () => {
      pending.shift()?.();
      // Let the settled promise's callbacks run (and the next barrier be sent).
      for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
    },
  };
}

describe('sharedBarrier', () => {
  it('sends one barrier for a lone caller', async () => {
    const barriers = manualBarriers();
    const sync = sharedBarrier(barriers.barrier);
    const done = sync();
    expect(barriers.sent()).toBe(1);
    await barriers.finishNext();
    await done;
  });

  it('never answers a caller with a barrier sent before it asked', async () => {
    const barriers = manualBarriers();
    const sync = sharedBarrier(barriers.barrier);
    const settled: string[] = [];
    void sync().then(() => settled.push('first'));
    // These arrive while the first barrier is on the wire: they may have committed after it was sent.
    void sync().then(() => settled.push('second'));
    void sync().then(() => settled.push('third'));
    expect(barriers.sent()).toBe(1);

    await barriers.finishNext();
    expect(settled).toEqual(['first']);
    // The two latecomers share one new barrier instead of sending one each.
    expect(barriers.sent()).toBe(1);

    await barriers.finishNext();
    expect(settled).toEqual(['first', 'second', 'third']);
    expect(barriers.sent()).toBe(0);
  });

  it('starts afresh once everything has settled', async () => {
    const barriers = manualBarriers();
    const sync = sharedBarrier(barriers.barrier);
    const first = sync();
    await barriers.finishNext();
    await first;
    const again = sync();
    expect(barriers.sent()).toBe(1);
    await barriers.finishNext();
    await again;
  });
});
