import { GOVSTACK_CONSENT } from '../../src/blocks/consent/govstack/routes.ts';
import { GOVSTACK_MESSAGING_PREFIX } from '../../src/blocks/messaging/govstack/routes.ts';
import { GOVSTACK_PREFIX as GOVSTACK_REGISTRATION } from '../../src/blocks/registration/govstack/routes.ts';
import { GOVSTACK_REGISTRIES } from '../../src/blocks/registries/govstack/routes.ts';

/**
 * Which paths of /openapi.json each permission table answers for. A table checks that it has a
 * row for exactly the routes its paths hold; the matrix test (test/permission-matrix.test.ts)
 * checks that every route falls in some table. Together: a new route without a row fails one of
 * them. The tables run in separate processes, so this list is what they share, not a registry
 * filled at run time.
 */
export const PERMISSION_TABLES = {
  'src/blocks/analytics/routes.scopes.test.ts': (path: string) => path.startsWith('/agency/performance') || path === '/agency/feedback' || path.startsWith('/performance') || path === '/applications/{id}/feedback',
  'src/blocks/audit/routes.scopes.test.ts': (path: string) => path.startsWith('/api/audit/') || path === '/admin/audit',
  'src/blocks/catalogue/routes.scopes.test.ts': (path: string) => path.startsWith('/api/catalogue/') || path.startsWith('/admin/catalogue') || ['/services', '/services/{code}'].includes(path),
  'src/blocks/consent/routes.scopes.test.ts': (path: string) => path.startsWith('/api/consent') || path.startsWith(`${GOVSTACK_CONSENT}/`) || path.startsWith('/account/consents') || path.startsWith('/account/data-use'),
  'src/blocks/esignature/routes.scopes.test.ts': (path: string) => ['/.well-known/jwks.json', '/verify'].includes(path) || /^\/(api\/esignature|api\/documents|verify)\//.test(path),
  'src/blocks/identity/routes.scopes.test.ts': (path: string) => path.startsWith('/api/identity/') || ['/sign-in', '/sign-out', '/register', '/account', '/account/sign-out-everywhere', '/account/phone', '/account/password', '/password/forgot', '/password/reset'].includes(path),
  'src/blocks/mediator/routes.scopes.test.ts': (path: string) => path.startsWith('/api/mediator'),
  'src/blocks/messaging/routes.scopes.test.ts': (path: string) => path.startsWith('/messaging/') || path.startsWith(`${GOVSTACK_MESSAGING_PREFIX}/`) || path === '/outbox' || path.startsWith('/admin/messages'),
  'src/blocks/payments/routes.scopes.test.ts': (path: string) => path.startsWith('/api/payments') || path.startsWith('/payments') || path.startsWith('/pay/'),
  'src/blocks/registration/routes.scopes.test.ts': (path: string) => /^\/(api\/registration|api\/workflow|schemas)\//.test(path) || ['/services/{code}/register', '/applications/{id}/steps/{stepId}/prefill'].includes(path),
  'src/blocks/registration/govstack/routes.scopes.test.ts': (path: string) => path.startsWith(`${GOVSTACK_REGISTRATION}/`),
  'src/blocks/registries/routes.scopes.test.ts': (path: string) => path.startsWith('/api/registries') || path.startsWith(`${GOVSTACK_REGISTRIES}/`) || path.startsWith('/admin/registries'),
  'src/blocks/scheduler/routes.scopes.test.ts': (path: string) => path.startsWith('/api/scheduler') || path.startsWith('/agency/scheduler') || path.startsWith('/scheduler/'),
  'src/blocks/ussd/routes.scopes.test.ts': (path: string) => path === '/ussd',
  'src/web/pages/portal-pages.scopes.test.ts': (path: string) => ['/', '/api', '/assets/{file}', '/sign-in/oidc', '/sign-in/oidc/callback'].includes(path),
  'src/web/pages/apply-pages.scopes.test.ts': (path: string) => path.startsWith('/apply/') || path === '/applications' || (path.startsWith('/applications/') && !['/applications/{id}/steps/{stepId}/prefill', '/applications/{id}/feedback'].includes(path)),
  'src/usecases/ecabinet/routes.scopes.test.ts': (path: string) => path.startsWith('/api/ecabinet/') || path === '/cabinet' || path.startsWith('/cabinet/'),
  'src/web/pages/assist-pages.scopes.test.ts': (path: string) => path === '/assist' || path.startsWith('/assist/'),
  'src/web/pages/work-pages.scopes.test.ts': (path: string) => path === '/work' || path.startsWith('/work/'),
  'src/platform/http/operations.scopes.test.ts': (path: string) => ['/health', '/ready', '/openapi.json', '/metrics'].includes(path) || /^\/(api\/)?admin\/jobs/.test(path),
} as const satisfies Record<string, (path: string) => boolean>;

export type PermissionTable = keyof typeof PERMISSION_TABLES;

/** The routes of an OpenAPI document, as `METHOD /path/:param`, with the access rule each declares (HEAD twins left out). */
export function documentedRoutes(document: unknown, covers: (path: string) => boolean = () => true): Map<string, string> {
  const paths = (document as { paths: Record<string, Record<string, { 'x-access': string }>> }).paths;
  const routes = new Map<string, string>();
  for (const [path, operations] of Object.entries(paths)) {
    if (!covers(path)) continue;
    for (const [method, operation] of Object.entries(operations)) {
      if (method !== 'head') routes.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, operation['x-access']);
    }
  }
  return routes;
}
