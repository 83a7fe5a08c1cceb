/**
 * Who may call the USSD gateway's endpoint: only the gateway. The route takes no session (its
 * authorization is the signature of the shared secret), so a call unsigned, or signed with another
 * secret, is refused the same whoever is signed in, before anything is looked up.
 */
import { signatureHeaders } from '../../platform/http/signed-calls.ts';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';
import { USSD_PATH } from './routes.ts';

const SECRET = 'ussd-gateway-secret-for-the-permission-table';
const SCREEN = { sessionId: 'ATUid_1', serviceCode: '*123#', phoneNumber: '+25377123456', text: '' };

// prettier-ignore
const ROWS: Row[] = [
  { route: `POST ${USSD_PATH}`, access: 'public', what: 'unsigned',                 expect: everyone(401), call: () => ({ method: 'POST', url: USSD_PATH, json: SCREEN }) },
  { route: `POST ${USSD_PATH}`, access: 'public', what: 'signed with another secret', expect: everyone(401), call: () => ({ method: 'POST', url: USSD_PATH, json: SCREEN, headers: signatureHeaders('not-the-gateway-secret-at-all-000000', JSON.stringify(SCREEN)) }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/ussd/routes.scopes.test.ts'], rows: ROWS, env: { USSD_GATEWAY_SECRET: SECRET } });
