import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { agenciesActedFor, chosenAgency, requireAgencyRole } from '../../blocks/payments/agencies.ts';
import { agencyFilter, readStatementUpload, RULES, statementProblem, type PageDeps } from '../../blocks/payments/http.ts';
import { FINANCE_OFFICER, FINANCE_READERS } from '../../blocks/payments/model.ts';
import { CSV_COLUMNS } from '../../blocks/payments/statements/parse-csv.ts';
import { importStatement } from '../../blocks/payments/statements/import-statement.ts';
import { acceptProposals, resolveStatementLine, type LineResolution } from '../../blocks/payments/statements/reconcile-statement.ts';
import { StatementRefused } from '../../blocks/payments/statements/statement-line.ts';
import { findStatement, linesOf, listStatements, type StoredLine, type StoredStatement } from '../../blocks/payments/store.ts';
import type { Agency } from '../../blocks/identity/index.ts';
import { hasRole, requirePrincipal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime, formatNumber } from '../../platform/i18n/index.ts';
import { Choices, CsrfField, ErrorSummary, Field, FormText, TextArea, type FieldErrors } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';
import { paymentErrors, Reference } from './payment-pages.tsx';
import { PaymentsNav } from './payment-staff-pages.tsx';

const NOTICES = ['accepted', 'resolved'] as const;

function StatementErrors({ ctx, errors }: { ctx: PageContext; errors: InvalidParam[] }) {
  const { t } = ctx;
  const caption = t('payments.statements.errorsCaption', { count: errors.length });
  return (
    <TableRegion label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('payments.statements.where')}</th>
            <th scope="col">{t('payments.statements.field')}</th>
            <th scope="col">{t('payments.statements.problem')}</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((e) => {
            const [, , kind = '', position = '0', field = ''] = e.pointer.split('/');
            return (
              <tr>
                <td>{position === '0' ? t('payments.statements.wholeFile') : t(`payments.statements.${kind === 'entries' ? 'entry' : 'line'}`, { n: Number(position) })}</td>
                <td>{field && <code>{field}</code>}</td>
                <td>{e.code ? t(`payments.errors.${e.code}`, { ...e.params, defaultValue: e.reason }) : e.reason}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableRegion>
  );
}

function StatementsPage({ ctx, statements, agencies, canUpload, refused }: { ctx: PageContext; statements: StoredStatement[]; agencies: Agency[]; canUpload: boolean; refused?: { errors: InvalidParam[]; fieldErrors: FieldErrors } }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('payments.statements.title')}</h1>
      <PaymentsNav ctx={ctx} />
      {refused && <ErrorSummary ctx={ctx} message={t('payments.statements.refused')} errors={refused.fieldErrors} labels={{ file: t('payments.statements.file'), agency: t('payments.invoice.agency') }} />}
      {refused && refused.errors.some((e) => e.pointer.startsWith('/file/')) && <StatementErrors ctx={ctx} errors={refused.errors.filter((e) => e.pointer.startsWith('/file/'))} />}
      {canUpload && (
        <section aria-labelledby="upload-title">
          <h2 id="upload-title">{t('payments.statements.upload')}</h2>
          <p>{t('payments.statements.formats', { columns: CSV_COLUMNS.join(',') })}</p>
          <form class="stack" method="post" action="/payments/statements" enctype="multipart/form-data">
            <CsrfField ctx={ctx} />
            {agencies.length > 1 && (
              <div>
                <label for="agency">{t('payments.invoice.agency')}</label>
                <select id="agency" name="agency">
                  {agencies.map((a) => <option value={a.code}>{a.names[ctx.locale] ?? a.names.en ?? a.code}</option>)}
                </select>
              </div>
            )}
            <Field name="file" label={t('payments.statements.file')} type="file" accept=".csv,.xml,text/csv,application/xml" error={refused?.fieldErrors.file} required />
            <div><button type="submit">{t('payments.statements.submit')}</button></div>
          </form>
        </section>
      )}
      <h2>{t('payments.statements.imported')}</h2>
      {statements.length === 0 ? (
        <p>{t('payments.statements.none')}</p>
      ) : (
        <TableRegion label={t('payments.statements.imported')}>
          <table>
            <caption>{t('payments.statements.imported')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('payments.statements.file')}</th>
                <th scope="col">{t('payments.statements.uploaded')}</th>
                <th scope="col" class="amount">{t('payments.statements.lines')}</th>
                <th scope="col" class="amount">{t('payments.statements.toReview')}</th>
              </tr>
            </thead>
            <tbody>
              {statements.map((s) => (
                <tr>
                  <td><a href={`/payments/statements/${s.id}`}>{s.fileName}</a></td>
                  <td>{`${s.uploadedByName ?? ''}, ${formatDateTime(ctx.locale, s.createdAt)}`}</td>
                  <td class="amount">{s.lineCount}</td>
                  <td class="amount">{s.pending}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}

/** A statement amount: exact, as the bank wrote it. */
const lineAmount = (ctx: PageContext, line: StoredLine) => `${formatNumber(ctx.locale, line.amount)} ${line.currency}`;

function ResolveForm({ ctx, statement, line, errors, values }: { ctx: PageContext; statement: StoredStatement; line: StoredLine; errors: FieldErrors; values: Record<string, string> }) {
  const { t } = ctx;
  const id = (name: string) => `${name}-${line.lineNo}`;
  return (
    <form class="action stack" method="post" action={`/payments/statements/${statement.id}/lines/${line.id}`} aria-labelledby={id('title')}>
      <h3 id={id('title')}>{t('payments.lines.resolveTitle', { n: line.lineNo, amount: lineAmount(ctx, line), payer: line.payerName || '—' })}</h3>
      <p class="hint">{line.remittance || t('payments.lines.noRemittance')}</p>
      <CsrfField ctx={ctx} />
      <Choices
        name="action"
        id={id('action')}
        label={t('payments.lines.action')}
        choices={(['assign', 'refund-due', 'not-ours'] as const).map((value) => ({ value, label: t(`payments.lines.actions.${value}`) }))}
        checked={[values.action ?? (line.invoiceId ? 'assign' : '')]}
        error={errors[id('action')]}
      />
      <Field name="reference" id={id('reference')} label={t('payments.invoice.reference')} hint={t('payments.lines.referenceHint')} value={values.reference ?? line.reference ?? ''} error={errors[id('reference')]} maxLength={40} />
      <TextArea name="note" id={id('note')} label={t('payments.lines.note')} value={values.note} error={errors[id('note')]} maxLength={1000} />
      <div><button type="submit">{t('payments.lines.resolve')}</button></div>
    </form>
  );
}

function StatementPage({ ctx, statement, lines, canAct, notice, refused }: { ctx: PageContext; statement: StoredStatement; lines: StoredLine[]; canAct: boolean; notice?: string; refused?: { lineId: string; errors: FieldErrors; values: Record<string, string>; message?: string } }) {
  const { t } = ctx;
  const pending = lines.filter((l) => l.status === 'pending');
  const acceptable = pending.filter((l) => l.proposal === 'exact' || l.proposal === 'under');
  const refusedLine = refused ? lines.find((l) => l.id === refused.lineId) : undefined;
  const labels = refusedLine ? { [`action-${refusedLine.lineNo}`]: t('payments.lines.action'), [`reference-${refusedLine.lineNo}`]: t('payments.invoice.reference'), [`note-${refusedLine.lineNo}`]: t('payments.lines.note') } : {};
  const caption = t('payments.lines.caption', { file: statement.fileName });
  return (
    <>
      <h1>{t('payments.statements.one', { file: statement.fileName })}</h1>
      <PaymentsNav ctx={ctx} />
      {notice && <p class="notice" role="status">{notice}</p>}
      {refused && <ErrorSummary ctx={ctx} message={refused.message} errors={refused.errors} labels={labels} />}
      <p>{t('payments.statements.summary', { lines: statement.lineCount, pending: statement.pending, debits: statement.skippedDebits, when: formatDateTime(ctx.locale, statement.createdAt), who: statement.uploadedByName ?? '' })}</p>
      {canAct && acceptable.length > 0 && (
        <form method="post" action={`/payments/statements/${statement.id}/accept`}>
          <CsrfField ctx={ctx} />
          <p>{t('payments.statements.acceptHelp', { count: acceptable.length })}</p>
          <button type="submit">{t('payments.statements.accept')}</button>
        </form>
      )}
      <TableRegion label={caption}>
        <table class="statement-lines">
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t('payments.lines.line')}</th>
              <th scope="col">{t('payments.lines.booked')}</th>
              <th scope="col" class="amount">{t('payments.lines.amount')}</th>
              <th scope="col">{t('payments.lines.payer')}</th>
              <th scope="col">{t('payments.lines.remittance')}</th>
              <th scope="col">{t('payments.lines.bankId')}</th>
              <th scope="col">{t('payments.lines.proposal')}</th>
              <th scope="col">{t('payments.lines.statusTitle')}</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr>
                <td>{l.lineNo}</td>
                <td>{l.bookedOn}</td>
                <td class="amount">{lineAmount(ctx, l)}</td>
                <td>{l.payerName}</td>
                <td>
                  {l.remittance}
                  {l.invoiceId && l.reference && (
                    <span class="hint">
                      <a href={`/payments/invoices/${l.invoiceId}`}><Reference reference={l.reference} /></a>
                    </span>
                  )}
                </td>
                <td><code>{l.bankTransactionId}</code></td>
                <td><span class={`tag proposal-${l.proposal}`}>{t(`payments.lines.proposals.${l.proposal}`)}</span></td>
                <td>
                  {t(`payments.lines.status.${l.status}`)}
                  {l.note && <span class="hint">{l.note}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {canAct && pending.length > 0 && (
        <section aria-labelledby="resolve-title">
          <h2 id="resolve-title">{t('payments.lines.toResolve')}</h2>
          {pending.map((line) => <ResolveForm ctx={ctx} statement={statement} line={line} errors={refused?.lineId === line.id ? refused.errors : {}} values={refused?.lineId === line.id ? refused.values : {}} />)}
        </section>
      )}
    </>
  );
}

/** Bank statements: upload, the proposed reconciliation, accepting it and resolving what it could not. */
export function paymentStatementPages(deps: PageDeps) {
  const { db } = deps;
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, deps.oidcLabel);
    const StatementParams = Type.Object({ id: Uuid }, { additionalProperties: false });

    const renderList = async (request: FastifyRequest, reply: FastifyReply, refused?: Problem) => {
      const ctx = ctxOf(request, reply);
      const principal = requirePrincipal(request);
      const [statements, agencies] = await Promise.all([listStatements(db, agencyFilter(request, FINANCE_READERS), 100), agenciesActedFor(db, principal, [FINANCE_OFFICER])]);
      const shown = refused ? { errors: refused.errors ?? [], fieldErrors: paymentErrors(ctx, refused.errors?.filter((e) => e.pointer.startsWith('/body/'))) } : undefined;
      return sendPage(reply, ctx, { title: ctx.t('payments.statements.title'), body: <StatementsPage ctx={ctx} statements={statements} agencies={agencies} canUpload={agencies.length > 0} refused={shown} /> }, refused?.status ?? 200);
    };

    app.get('/payments/statements', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'Bank statements: upload one, and those imported', tags: ['web'] },
      handler: async (request, reply) => renderList(request, reply),
    });

    app.post('/payments/statements', {
      config: { access: RULES.financeOfficers },
      schema: { summary: 'Upload a bank statement (multipart form: file, agency)', tags: ['web'], consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        try {
          const upload = await readStatementUpload(request);
          const principal = requirePrincipal(request);
          const agency = await chosenAgency(db, principal, [FINANCE_OFFICER], upload.agency, '/body/agency');
          const { statementId } = await importStatement(deps, { agencyId: agency.id, fileName: upload.fileName, bytes: upload.bytes, principal, requestId: request.id });
          return reply.redirect(`/payments/statements/${statementId}`, 303);
        } catch (err) {
          const problem = err instanceof StatementRefused ? statementProblem(err) : err;
          if (!(problem instanceof Problem) || problem.status !== 400) throw problem;
          return renderList(request, reply, problem);
        }
      },
    });

    const renderStatement = async (request: FastifyRequest, reply: FastifyReply, id: string, refused?: { lineId: string; errors: FieldErrors; values: Record<string, string>; message?: string }, status = 200) => {
      const statement = await findStatement(db, id);
      if (!statement) throw Problem.notFound('There is no bank statement with this id.');
      const principal = requirePrincipal(request);
      requireAgencyRole(principal, FINANCE_READERS, statement.agencyId, 'Reading a bank statement');
      const ctx = ctxOf(request, reply);
      const done = ctx.search.get('done');
      const notice = (NOTICES as readonly string[]).includes(done ?? '') ? ctx.t(`payments.statements.done.${done}`) : undefined;
      const body = <StatementPage ctx={ctx} statement={statement} lines={await linesOf(db, statement.id)} canAct={hasRole(principal, FINANCE_OFFICER, statement.agencyId)} notice={notice} refused={refused} />;
      return sendPage(reply, ctx, { title: ctx.t('payments.statements.one', { file: statement.fileName }), body }, status);
    };

    app.get('/payments/statements/:id', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'A bank statement: each line’s proposed match, accepting them, resolving the rest', tags: ['web'], params: StatementParams },
      handler: async (request, reply) => renderStatement(request, reply, request.params.id),
    });

    app.post('/payments/statements/:id/accept', {
      config: { access: RULES.financeOfficers },
      schema: { summary: 'Accept the proposed matches (form)', tags: ['web'], params: StatementParams, body: Type.Object({ _csrf: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        await acceptProposals(deps, { statementId: request.params.id, principal: requirePrincipal(request), requestId: request.id });
        return reply.redirect(`/payments/statements/${request.params.id}?done=accepted`, 303);
      },
    });

    app.post('/payments/statements/:id/lines/:lineId', {
      config: { access: RULES.financeOfficers },
      schema: {
        summary: 'Resolve a statement line (form): pay it to an invoice, or set it aside as a refund due or not ours',
        tags: ['web'],
        params: Type.Object({ id: Uuid, lineId: Uuid }, { additionalProperties: false }),
        body: Type.Object({ _csrf: FormText(200), action: Type.Optional(Type.Union([Type.Literal('assign'), Type.Literal('refund-due'), Type.Literal('not-ours')])), reference: FormText(40), note: FormText(1000) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const { id, lineId } = request.params;
        const { action, reference = '', note = '' } = request.body;
        const values = { ...(action ? { action } : {}), reference, note };
        const lineNo = async () => (await linesOf(db, id)).find((l) => l.id === lineId)?.lineNo;
        const ctx = ctxOf(request, reply);
        try {
          if (!action) throw Problem.invalidField('/body/action', 'choose what to do with this line', 'required');
          const resolution: LineResolution = action === 'assign' ? { action, reference, note } : { action, note };
          await resolveStatementLine(deps, { statementId: id, lineId, resolution, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(`/payments/statements/${id}?done=resolved`, 303);
        } catch (err) {
          if (!(err instanceof Problem) || ![400, 409].includes(err.status)) throw err;
          const n = await lineNo();
          if (n === undefined) throw err;
          const errors = paymentErrors(ctx, err.errors, (pointer) => `${pointer.split('/').pop()}-${n}`);
          return renderStatement(request, reply, id, { lineId, errors, values, message: err.status === 409 ? err.detail : undefined }, err.status);
        }
      },
    });
  };
}
