import type { Logger } from 'pino';

export interface Periodic {
  stop(): Promise<void>;
}

/**
 * Run `task` every `intervalMs`, never overlapping itself. Tasks that must run on one process only
 * take a PostgreSQL advisory lock themselves, so every app process can start the same timers.
 */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<unknown>, log: Logger): Periodic {
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = task()
      .then(() => undefined)
      .catch((err: Error) => log.error({ err: err.message, task: name }, 'periodic task failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
