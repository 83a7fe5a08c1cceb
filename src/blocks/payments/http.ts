import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { access, agenciesReached, hasAnyRole, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import { isCalendarDay, utcDay } from './days.ts';
import { CASHIER, FINANCE_OFFICER, FINANCE_READERS, INVOICE_STATES, PAYMENT_STAFF, type Payments, type PaymentsDeps } from './model.ts';
import type { PaymentProvider } from './providers/provider.ts';
import { REFUND_DECIDERS } from './refunds.ts';
import type { StatementRefused } from './statements/statement-line.ts';

/** What the payment routes and pages share: access rules, schemas, and reading requests. */
export type RoutesDeps = PaymentsDeps & { payments: Payments; oidcLabel: string | null };
export type PageDeps = RoutesDeps & { provider: PaymentProvider | null };

/** Who may call what: the payer, and staff by their payment role (each use case then checks the agency). */
export const RULES = {
  payerOrStaff: access.roles('citizen', ...PAYMENT_STAFF),
  staff: access.roles(...PAYMENT_STAFF),
  financeReaders: access.roles(...FINANCE_READERS),
  financeOfficers: access.roles(FINANCE_OFFICER),
  refundDeciders: access.roles(...REFUND_DECIDERS),
  cashiers: access.roles(CASHIER),
  citizens: access.roles('citizen'),
};

export const Json = (description: string) => Type.Object({}, { additionalProperties: true, description });
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const AgencyCode = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,39}$', description: 'Agency code' });
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day, YYYY-MM-DD (UTC)' });
export const InvoiceState = Type.Union(INVOICE_STATES.map((s) => Type.Literal(s)));
export const Amount = Type.String({ minLength: 1, maxLength: 20, description: 'An exact decimal amount, e.g. "15000" or "12.50"' });

/** The day asked for (a real calendar day), or today. */
export function dayOf(day: string | undefined, pointer: string): string {
  if (day === undefined) return utcDay();
  if (!isCalendarDay(day)) throw Problem.invalidField(pointer, 'is not a calendar day (YYYY-MM-DD)', 'date');
  return day;
}

/** The agency ids a principal sees under `roles`; null for a platform-wide grant. */
export function agencyFilter(request: FastifyRequest, roles: readonly string[]): string[] | null {
  const reached = agenciesReached(requirePrincipal(request), roles);
  return reached === 'all' ? null : [...reached];
}

/** A bank statement upload: the file and, when the uploader acts for several agencies, which one. */
export async function readStatementUpload(request: FastifyRequest): Promise<{ agency: string | undefined; fileName: string; bytes: Buffer }> {
  if (!request.isMultipart()) throw new Problem(415, 'Send the statement as multipart/form-data, in a part named "file".');
  const body = (request.body ?? {}) as Record<string, MultipartFile | MultipartValue | (MultipartFile | MultipartValue)[] | undefined>;
  const file = body.file;
  if (!file || Array.isArray(file) || file.type !== 'file' || !file.filename) throw Problem.invalidField('/body/file', 'choose the statement file to upload', 'fileMissing');
  const agency = body.agency;
  const code = agency && !Array.isArray(agency) && agency.type === 'field' && typeof agency.value === 'string' && agency.value !== '' ? agency.value : undefined;
  if (code !== undefined && !/^[a-z0-9][a-z0-9-]{1,39}$/.test(code)) throw Problem.invalidField('/body/agency', 'is not the code of an agency', 'unknownAgency');
  return { agency: code, fileName: file.filename.slice(0, 200), bytes: await file.toBuffer() };
}

/** Every problem of a refused statement, one per line and field. */
export function statementProblem(refused: StatementRefused): Problem {
  const where = refused.format === 'camt.053' ? 'entries' : 'lines';
  return new Problem(400, `The statement was not imported: ${refused.errors.length === 1 ? 'one problem' : `${refused.errors.length} problems`} (nothing was changed).`, {
    title: 'Statement refused',
    errors: refused.errors.map((e) => ({ pointer: `/file/${where}/${e.position}${e.field ? `/${e.field}` : ''}`, reason: e.reason, code: e.code, ...(e.params ? { params: e.params } : {}) })),
  });
}

/** Whether the principal may decide refunds in the agency: for showing the buttons. */
export function mayDecideRefunds(request: FastifyRequest, agencyId: string): boolean {
  return hasAnyRole(request.principal, REFUND_DECIDERS, agencyId);
}
