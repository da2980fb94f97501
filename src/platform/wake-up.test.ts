import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWakeUp } from './wake-up.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createWakeUp', () => {
  it('keeps an immediate wake-up when a later one is asked for after it', () => {
    // The outbox case: an enqueue asks for now, then the drain that was running asks for the next poll.
    const run = vi.fn();
    const wakeUp = createWakeUp(run);
    wakeUp.in(0);
    wakeUp.in(60_000);
    vi.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('moves a pending wake-up earlier, and runs once', () => {
    const run = vi.fn();
    const wakeUp = createWakeUp(run);
    wakeUp.in(60_000);
    wakeUp.in(10);
    vi.advanceTimersByTime(10);
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('can be set again once it has run, for any delay', () => {
    const run = vi.fn();
    const wakeUp = createWakeUp(run);
    wakeUp.in(0);
    vi.advanceTimersByTime(0);
    wakeUp.in(60_000);
    vi.advanceTimersByTime(59_999);
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('runs nothing once cancelled, and can be set again after', () => {
    const run = vi.fn();
    const wakeUp = createWakeUp(run);
    wakeUp.in(5);
    wakeUp.cancel();
    vi.advanceTimersByTime(10);
    expect(run).not.toHaveBeenCalled();
    wakeUp.in(60_000);
    vi.advanceTimersByTime(60_000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
