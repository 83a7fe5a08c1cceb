/**
 * Every page of the portal as somebody meets it: who looks (a demo account, password
 * DEMO_PASSWORD) and what HTTP status they get. The accessibility audit and the page-weight
 * bench both walk this list, so a new page is added here once.
 */
export type Visitor = 'anonymous' | 'amina' | 'admin';

export interface PageVisit {
  name: string;
  path: string;
  who: Visitor;
  status: number;
}

export const PAGES: PageVisit[] = [
  { name: 'home', path: '/', who: 'anonymous', status: 200 },
  { name: 'API reference', path: '/api', who: 'anonymous', status: 200 },
  { name: 'sign-in', path: '/sign-in', who: 'anonymous', status: 200 },
  { name: 'find a public service', path: '/services', who: 'anonymous', status: 200 },
  { name: 'a public service', path: '/services/construction-permit', who: 'anonymous', status: 200 },
  { name: 'register', path: '/register', who: 'anonymous', status: 200 },
  { name: 'forgotten password', path: '/password/forgot', who: 'anonymous', status: 200 },
  { name: 'password reset with an invalid token', path: '/password/reset?token=no-such-token', who: 'anonymous', status: 400 },
  { name: 'not found', path: '/no/such/page', who: 'anonymous', status: 404 },
  { name: 'sign in to continue', path: '/account', who: 'anonymous', status: 401 },
  { name: 'my account', path: '/account', who: 'amina', status: 200 },
  { name: 'change password', path: '/account/password', who: 'amina', status: 200 },
  { name: 'not allowed', path: '/admin/audit', who: 'amina', status: 403 },
  { name: 'audit log', path: '/admin/audit', who: 'admin', status: 200 },
  { name: 'job queue', path: '/admin/jobs', who: 'admin', status: 200 },
  { name: 'digitisation dashboard', path: '/admin/catalogue', who: 'admin', status: 200 },
  { name: 'a public service one can apply for online', path: '/services/business-licence', who: 'anonymous', status: 200 },
  { name: 'start an application', path: '/apply/business-licence', who: 'amina', status: 200 },
  { name: 'my applications', path: '/applications', who: 'amina', status: 200 },
  { name: 'sign in to see my applications', path: '/applications', who: 'anonymous', status: 401 },
  { name: 'worklist', path: '/work', who: 'admin', status: 200 },
  { name: 'worklist, not for citizens', path: '/work', who: 'amina', status: 403 },
];

/** The same address in another language, as the language links make it. */
export function withLocale(path: string, locale: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${locale}`;
}
