import type { Db } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import { consentPages } from '../../web/pages/consent-pages.tsx';
import { govstackConsentRoutes } from './govstack/routes.ts';
import { consentApi } from './routes.ts';

export { consentMigrations } from './migrations/index.ts';
export { checkConsent, createAgreement, giveConsent, withdrawConsent, nationalIdOf, type ConsentQuestion, type ConsentAnswer, type NewAgreement, type Giving } from './consents.ts';
export { prefillOffer, prefillFromRegistry, type PrefillQuestion, type PrefillOffer, type PrefillResult } from './prefill.ts';
export { findAgreement, listAgreements, consentsOf, type Agreement, type ConsentRecord, type ConsentStatus } from './store.ts';
export { seedDemoRegistriesAndConsents, DEMO_AGREEMENTS } from './demo.ts';
export { GOVSTACK_CONSENT } from './govstack/routes.ts';

export function consentRoutes(deps: { db: Db; baseUrl: string; oidcLabel: string | null }) {
  return async (app: App) => {
    await app.register(consentApi(deps.db));
    await app.register(govstackConsentRoutes(deps.db, deps.baseUrl));
    await app.register(consentPages({ db: deps.db, oidcLabel: deps.oidcLabel }));
  };
}
