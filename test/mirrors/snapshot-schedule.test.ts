/**
 * When MirrorSnapshots saves: after `quietMs` without a write, and, while
 * writes never pause, at the latest MAX_DELAY_QUIETS quiet times after the
 * first write a snapshot does not hold. Fake timers (performance.now too)
 * and a fake store: every figure is a count of timer milliseconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_DELAY_QUIETS, MirrorSnapshots } from '../../src/features/mirrors/snapshots.js';
import type { MirrorSnapshotRepository } from '../../src/features/mirrors/repository.js';
import type { TableMirror } from '../../src/features/common/table-mirror.js';

const QUIET = 1_000;

function setUp(saveGate: () => Promise<void> = async () => undefined) {
  let version = 0;
  const listeners: ((before: number, after: number) => void)[] = [];
  const saved: number[] = [];
  const repository: MirrorSnapshotRepository = {
    where: 'memory',
    read: async () => null,
    save: async (snapshot) => {
      await saveGate();
      saved.push(snapshot.header.version);
      return true;
    },
  };
  // One mirror, always current at the data version: every attempt can save.
  const mirror = {
    prepareForSnapshot: async () => version,
    partsAt: (at: number) => (at === version ? [new Uint8Array(8)] : null),
    cursorNow: () => null,
  } as unknown as TableMirror<unknown>;
  const snapshots = new MirrorSnapshots({
    repository,
    versions: {
      version: async () => version,
      inTransaction: () => false,
      onCommit: (listener) => (listeners.push(listener), () => undefined),
    },
    tables: { touchpoints: { mirror, fingerprint: async () => ({ minKey: 0, maxKey: version }) } },
    shared: {},
    quietMs: QUIET,
    loaded: () => true,
    log: { info: () => undefined, warn: () => undefined },
  });
  const commit = () => {
    version++;
    for (const listener of listeners) listener(version - 1, version);
  };
  return { snapshots, saved, commit };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('when a snapshot is saved', () => {
  it('after a quiet time without writes, once per version', async () => {
    const { saved, commit } = setUp();
    commit();
    await vi.advanceTimersByTimeAsync(QUIET - 1);
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual([1]);
    // Nothing written since: no second save however long it waits.
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(saved).toEqual([1]);
  });

  it(`while writes never pause, at the latest ${MAX_DELAY_QUIETS} quiet times after the first unsaved write, then again as long after the next`, async () => {
    const { saved, commit } = setUp();
    // A write every half quiet time: never quiet. The first at t=0.
    const step = QUIET / 2;
    let t = 0;
    const savesAt: number[] = [];
    for (let i = 0; i < 4 * MAX_DELAY_QUIETS; i++) {
      commit();
      const before = saved.length;
      await vi.advanceTimersByTimeAsync(step);
      t += step;
      if (saved.length > before) savesAt.push(t);
    }
    // Due at 6,000 ms after the write at t=0 (saved at the step ending there, holding the writes up to t=5,500);
    // the next unsaved write is at t=6,000, so the next save at 12,000, and so on: 4 x 6 x 500 ms = 12 s of writes.
    expect(savesAt).toEqual([MAX_DELAY_QUIETS * QUIET, 2 * MAX_DELAY_QUIETS * QUIET]);
    // Each save holds every write before it.
    expect(saved).toEqual([MAX_DELAY_QUIETS * 2, 2 * MAX_DELAY_QUIETS * 2]);
  });

  it('after a save at the deadline the clock starts again: the next write waits a quiet time, and nothing loops', async () => {
    const { saved, commit } = setUp();
    // 12 writes, one every 500 ms from t=0: the last at 5,500, the save due at 6,000 holds all 12.
    for (let i = 0; i < 2 * MAX_DELAY_QUIETS; i++) {
      commit();
      await vi.advanceTimersByTimeAsync(QUIET / 2);
    }
    expect(saved).toEqual([2 * MAX_DELAY_QUIETS]);
    // One more write at 6,000: not saved at once (the deadline passed belongs to the saved writes), but a quiet time later.
    commit();
    await vi.advanceTimersByTimeAsync(QUIET - 1);
    expect(saved).toEqual([2 * MAX_DELAY_QUIETS]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual([2 * MAX_DELAY_QUIETS, 2 * MAX_DELAY_QUIETS + 1]);
    // Fake timers throw on a runaway loop of zero-delay timers; there is none, and nothing more is saved.
    await vi.advanceTimersByTimeAsync(20 * QUIET);
    expect(saved).toHaveLength(2);
  });

  it('a save due while another is being written runs after it, not never', async () => {
    let release!: () => void;
    let gate: Promise<void> = new Promise((resolve) => (release = resolve));
    const { saved, commit } = setUp(() => gate);
    commit();
    await vi.advanceTimersByTimeAsync(QUIET);
    // Version 1 is being written (held at the gate); version 2 comes, and its quiet time passes meanwhile.
    commit();
    await vi.advanceTimersByTimeAsync(QUIET);
    expect(saved).toEqual([]);
    const first = gate;
    gate = Promise.resolve();
    release();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(saved).toEqual([1]);
    await vi.advanceTimersByTimeAsync(QUIET);
    expect(saved).toEqual([1, 2]);
  });
});
