/**
 * Who may open the portal's own pages (site-pages.tsx) and start a sign-in with the national
 * digital ID (account-pages.tsx, there only when an identity provider is configured). All are
 * public: the home page, the API reference and the stylesheet answer everyone, and a sign-in is
 * started for whoever asks. The provider here only publishes its discovery document, so the
 * callback's state, not the caller, decides: one this app never issued is refused alike
 * (oidc-sign-in.test.ts signs people in through a real provider).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { stylesheet } from '../assets.ts';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';

const provider = createServer((request, response) => {
  if (request.url !== '/.well-known/openid-configuration') return void response.writeHead(404).end();
  const issuer = `http://${request.headers.host}`;
  const discovery = { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'] };
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discovery));
});
await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
after(() => provider.close());

// prettier-ignore
const ROWS: Row[] = [
  { route: 'GET /', access: 'public',                      expect: everyone(200), call: () => ({ method: 'GET', url: '/' }) },
  { route: 'GET /api', access: 'public',                   expect: everyone(200), call: () => ({ method: 'GET', url: '/api' }) },
  { route: 'GET /assets/:file', access: 'public',          expect: everyone(200), call: () => ({ method: 'GET', url: stylesheet.url }) },
  { route: 'GET /sign-in/oidc', access: 'public',          expect: everyone(303), call: () => ({ method: 'GET', url: '/sign-in/oidc?next=/applications' }) },
  { route: 'GET /sign-in/oidc/callback', access: 'public', what: 'with a state this app never issued', expect: everyone(400), call: () => ({ method: 'GET', url: '/sign-in/oidc/callback?code=a-code&state=a-state-never-issued' }) },
];

permissionTable({
  covers: PERMISSION_TABLES['src/web/pages/portal-pages.scopes.test.ts'],
  rows: ROWS,
  env: { OIDC_ISSUER: `http://127.0.0.1:${(provider.address() as AddressInfo).port}`, OIDC_CLIENT_ID: 'daftari' },
});
