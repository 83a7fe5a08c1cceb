/**
 * Every page of the portal as somebody meets it: who looks (a demo account, password
 * DEMO_PASSWORD) and what HTTP status they get. The accessibility audit and the page-weight
 * bench both walk this list, so a new page is added here once.
 */
export const VISITORS = ['anonymous', 'amina', 'admin', 'officer.trade', 'cashier.trade', 'finance.trade', 'agent.post'] as const;
export type Visitor = (typeof VISITORS)[number];

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
  { name: 'the public register of granted permits', path: '/services/construction-permit/register', who: 'anonymous', status: 200 },
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
  { name: 'the agent’s counter', path: '/assist', who: 'agent.post', status: 200 },
  { name: 'a service’s form at the counter', path: '/assist/birth-certificate-copy', who: 'agent.post', status: 200 },
  { name: 'the counter, not for citizens', path: '/assist', who: 'amina', status: 403 },
  { name: 'my messages', path: '/outbox', who: 'amina', status: 200 },
  { name: 'sign in to see my messages', path: '/outbox', who: 'anonymous', status: 401 },
  { name: 'failed messages', path: '/admin/messages', who: 'admin', status: 200 },
  { name: 'payments of my agency', path: '/payments', who: 'finance.trade', status: 200 },
  { name: 'bank statements', path: '/payments/statements', who: 'finance.trade', status: 200 },
  { name: 'refunds', path: '/payments/refunds', who: 'finance.trade', status: 200 },
  { name: 'payment reports', path: '/payments/reports', who: 'finance.trade', status: 200 },
  { name: 'cash desk', path: '/payments/cash', who: 'cashier.trade', status: 200 },
  { name: 'payments, not for citizens', path: '/payments', who: 'amina', status: 403 },
  { name: 'worklist of an officer', path: '/work', who: 'officer.trade', status: 200 },
  { name: 'performance of my agency', path: '/agency/performance', who: 'officer.trade', status: 200 },
  { name: 'performance of every agency, with targets', path: '/agency/performance', who: 'admin', status: 200 },
  { name: 'performance, not for citizens', path: '/agency/performance', who: 'amina', status: 403 },
  { name: 'the cases behind a dashboard figure', path: '/agency/performance/cases?figure=received', who: 'officer.trade', status: 200 },
  { name: 'the cases behind a figure, not for citizens', path: '/agency/performance/cases', who: 'amina', status: 403 },
  { name: 'feedback on my agency’s services', path: '/agency/feedback', who: 'officer.trade', status: 200 },
  { name: 'how the government performs', path: '/performance', who: 'anonymous', status: 200 },
  { name: 'check a document', path: '/verify', who: 'anonymous', status: 200 },
  { name: 'published cabinet decisions', path: '/cabinet/decisions', who: 'anonymous', status: 200 },
  { name: 'eCabinet: clearances', path: '/cabinet', who: 'admin', status: 200 },
  { name: 'eCabinet, not for citizens', path: '/cabinet', who: 'amina', status: 403 },
  { name: 'draft a cabinet memo, only for ministries', path: '/cabinet/memos/new', who: 'admin', status: 403 },
  { name: 'cabinet follow-up, only for the cabinet', path: '/cabinet/follow-up', who: 'admin', status: 403 },
  { name: 'registries', path: '/admin/registries', who: 'admin', status: 200 },
  { name: 'registries, not for citizens', path: '/admin/registries', who: 'amina', status: 403 },
  { name: 'define a registry', path: '/admin/registries/new', who: 'admin', status: 200 },
  { name: 'a registry', path: '/admin/registries/land-parcels', who: 'admin', status: 200 },
  { name: 'import into a registry', path: '/admin/registries/land-parcels/import', who: 'admin', status: 200 },
  { name: 'an agency calendar: hours and holidays', path: '/agency/scheduler/urban-permits?year=2027', who: 'admin', status: 200 },
  { name: 'my consents', path: '/account/consents', who: 'amina', status: 200 },
  { name: 'who used my data', path: '/account/data-use', who: 'amina', status: 200 },
  { name: 'sign in to see who used my data', path: '/account/data-use', who: 'anonymous', status: 401 },
  { name: 'check a document: no such number', path: '/verify/00000000-0000-4000-8000-000000000000', who: 'anonymous', status: 404 },
];

/** The same address in another language, as the language links make it. */
export function withLocale(path: string, locale: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${locale}`;
}
