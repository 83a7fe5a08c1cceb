export { analyticsMigrations } from './migrations/index.ts';
export { subscribeToFacts, refreshRollups, requestRefresh, REFRESH_ROLLUPS_TASK, REFRESH_INTERVAL_MS } from './facts.ts';
