import type { NodeKeys } from '../../platform/crypto/keys.ts';
import type { Db } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import { providerRoutes } from './provider.ts';
import { mediatorAdminApi } from './routes.ts';

export { mediatorMigrations } from './migrations/index.ts';
export { callMember, RETRY_AFTER_SECONDS, type MemberCall, type MemberAnswer } from './client.ts';
export { verifyLog, readLog, type LogCheck, type StoredLogEntry } from './store.ts';
export { HEADERS, FRESHNESS_SECONDS } from './signing.ts';

export function mediatorRoutes(deps: { db: Db; keys: NodeKeys }) {
  return async (app: App) => {
    await app.register(mediatorAdminApi(deps.db, deps.keys));
    await app.register(providerRoutes(deps.db, deps.keys));
  };
}
