import type { Clock } from '../../platform/clock.js';
import type { StatisticsRepository } from './repository.js';

const hourMs = 3_600_000;

/** What the console's overview shows: accounts, sessions, the last day's sign-ins hour by hour, the outbox. */
export function createStatisticsService({ statistics, clock }: { statistics: StatisticsRepository; clock: Clock }) {
  return {
    async overview() {
      const now = clock.now();
      // The 24 whole hours up to and including the current one, oldest first, empty hours included.
      const firstHour = new Date(Math.floor(now.getTime() / hourMs) * hourMs - 23 * hourMs);
      const [accounts, liveSessions, perHour, outbox] = await Promise.all([
        statistics.countAccounts(now),
        statistics.countLiveSessions(now),
        statistics.signInsPerHour(firstHour),
        statistics.countOutbox(),
      ]);
      const byHour = new Map(perHour.map((row) => [row.hour, row]));
      const hours = Array.from({ length: 24 }, (_, index) => {
        const hour = new Date(firstHour.getTime() + index * hourMs).toISOString().slice(0, 13);
        return { hour, succeeded: byHour.get(hour)?.succeeded ?? 0, failed: byHour.get(hour)?.failed ?? 0 };
      });
      return {
        accounts,
        liveSessions,
        signIns: {
          succeeded: hours.reduce((sum, hour) => sum + hour.succeeded, 0),
          failed: hours.reduce((sum, hour) => sum + hour.failed, 0),
          hours,
        },
        outbox,
      };
    },
  };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;
