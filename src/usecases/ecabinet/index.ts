import type { Db } from '../../platform/db/database.ts';
import type { BlobStore } from '../../platform/files/blob-store.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import type { Signer } from '../../blocks/esignature/index.ts';
import type { Messenger } from '../../blocks/messaging/index.ts';
import { ecabinetPages } from '../../web/pages/ecabinet-pages.tsx';
import { overdueNotifier, OVERDUE_TASK } from './meetings.ts';
import { ecabinetApi } from './routes.ts';

export { ecabinetMigrations } from './migrations/index.ts';
export { CABINET_ROLES, CHAIR, DELEGATE, DRAFTER, LEGAL, LEVELS, MINISTER, SECRETARIAT, clearanceOf, readableMemo, setClearance, viewerOf, type Level, type Viewer } from './clearance.ts';
export { listMemos, type Memo } from './memos.ts';
export { publishedDecisions, type Decision } from './meetings.ts';
export { seedEcabinetDemo, ECABINET_DEMO_ACCOUNTS } from './demo.ts';

export interface EcabinetDeps {
  db: Db;
  jobs: JobQueue;
  blobs: BlobStore;
  signer: Signer;
  messenger: Messenger;
  baseUrl: string;
  oidcLabel: string | null;
}

/** The eCabinet: its API, open data and pages; registers the overdue-action job once per queue. */
export function ecabinetRoutes(deps: EcabinetDeps) {
  deps.jobs.register(OVERDUE_TASK, overdueNotifier(deps.db, deps.messenger, deps.baseUrl));
  return async (app: App) => {
    await app.register(ecabinetApi(deps.db, deps.blobs));
    await app.register(ecabinetPages(deps));
  };
}
