/**
 * One pending wake-up that only ever moves earlier: asking for a later time
 * while an earlier one is set changes nothing. The outbox needs this: the
 * poll a finished drain schedules must not replace the immediate drain an
 * enqueue asked for meanwhile (that message would wait a whole poll).
 */
export function createWakeUp(run: () => void) {
  let timer: NodeJS.Timeout | undefined;
  let dueAt = 0;
  return {
    in(delayMs: number): void {
      const at = Date.now() + delayMs;
      if (timer && dueAt <= at) return;
      clearTimeout(timer);
      dueAt = at;
      timer = setTimeout(() => {
        timer = undefined;
        run();
      }, delayMs);
      // Never what keeps the process alive.
      timer.unref();
    },
    cancel(): void {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
