export { analyticsMigrations } from './migrations/index.ts';
export { subscribeToFacts, refreshRollups, REFRESH_ROLLUPS_TASK } from './facts.ts';
