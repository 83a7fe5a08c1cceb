import { Type } from '@sinclair/typebox';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { agencyName, checkIssuedFile, documentIdOf, DocumentIdParams, documentStatus, type DocumentStatus, type FileVerdict } from '../../blocks/esignature/index.ts';
import type { Db } from '../../platform/db/database.ts';
import { detectDocumentKind } from '../../platform/files/detect-type.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { App } from '../../platform/http/server.ts';
import { directionOf, formatDate } from '../../platform/i18n/index.ts';
import { CsrfField, ErrorSummary, Field, FormText } from '../components/forms.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

/** Issued documents weigh tens of kilobytes; a file far larger cannot be one, and is not read further. */
const UPLOAD_LIMIT_MB = 5;

/** Text in the document's language, marked so when the page is in another (WCAG 3.1.2). */
function InLanguage({ ctx, locale, children }: { ctx: PageContext; locale: string; children: string }) {
  return locale === ctx.locale ? <>{children}</> : <span lang={locale} dir={directionOf(locale)}>{children}</span>;
}

function IdForm({ ctx, value, error }: { ctx: PageContext; value?: string; error?: string }) {
  const { t } = ctx;
  return (
    <form class="stack" method="get" action="/verify" novalidate>
      <Field name="id" label={t('esignature.verify.idLabel')} hint={t('esignature.verify.idHint')} value={value} error={error} autocomplete="off" maxLength={100} />
      <div>
        <button type="submit">{t('esignature.verify.check')}</button>
      </div>
    </form>
  );
}

function VerifyIndexPage({ ctx, value, error }: { ctx: PageContext; value?: string; error?: string }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('esignature.verify.title')}</h1>
      <p class="lead">{t('esignature.verify.lead')}</p>
      <ErrorSummary ctx={ctx} errors={error ? { id: error } : {}} labels={{ id: t('esignature.verify.idLabel') }} />
      <IdForm ctx={ctx} value={value} error={error} />
    </>
  );
}

function UnknownDocumentPage({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('esignature.verify.notFoundTitle')}</h1>
      <p class="lead">{t('esignature.verify.notFound')}</p>
      <IdForm ctx={ctx} />
    </>
  );
}

function StatusPanel({ ctx, status }: { ctx: PageContext; status: DocumentStatus }) {
  const { t } = ctx;
  const agency = agencyName(status.agency, ctx.locale);
  const state = status.genuine ? status.state : 'notGenuine';
  const date = state === 'revoked' ? status.revokedAt : status.validUntil;
  return (
    <div class={`verify-status verify-${state}`}>
      <p class="verify-headline">{t(`esignature.verify.state.${state}`)}</p>
      <p>{t(`esignature.verify.stateText.${state}`, { agency, date: date ? formatDate(ctx.locale, date) : '' })}</p>
      {state === 'revoked' && status.revocationReason && <p>{t('esignature.verify.reason', { reason: status.revocationReason })}</p>}
    </div>
  );
}

type UploadOutcome = { verdict: FileVerdict } | { error: string };

function UploadResult({ ctx, status, outcome }: { ctx: PageContext; status: DocumentStatus; outcome: UploadOutcome }) {
  const { t } = ctx;
  if ('error' in outcome) return <ErrorSummary ctx={ctx} errors={{ file: outcome.error }} labels={{ file: t('esignature.verify.fileLabel') }} />;
  const { verdict } = outcome;
  return (
    <div class={`verify-result verify-file-${verdict.verdict}`} role="status">
      {verdict.verdict === 'genuine' && <p>{t('esignature.verify.result.genuine', { agency: agencyName(status.agency, ctx.locale) })}</p>}
      {verdict.verdict === 'altered' && <p>{t('esignature.verify.result.altered')}</p>}
      {verdict.verdict === 'other-document' && (
        <>
          <p>{t('esignature.verify.result.otherDocument')}</p>
          {verdict.otherId && <p><a href={`/verify/${verdict.otherId}`}>{t('esignature.verify.result.otherLink')}</a></p>}
        </>
      )}
    </div>
  );
}

function DocumentPage({ ctx, status, outcome }: { ctx: PageContext; status: DocumentStatus; outcome?: UploadOutcome }) {
  const { t } = ctx;
  const fileError = outcome && 'error' in outcome ? outcome.error : undefined;
  return (
    <>
      <h1><InLanguage ctx={ctx} locale={status.locale}>{status.title}</InLanguage></h1>
      {outcome && <UploadResult ctx={ctx} status={status} outcome={outcome} />}
      <StatusPanel ctx={ctx} status={status} />
      <h2>{t('esignature.verify.about')}</h2>
      <dl class="facts">
        {status.holderName && (
          <>
            <dt>{t('esignature.verify.holder')}</dt>
            <dd><bdi>{status.holderName}</bdi></dd>
          </>
        )}
        <dt>{t('esignature.verify.issuedBy')}</dt>
        <dd>{agencyName(status.agency, ctx.locale)}</dd>
        <dt>{t('esignature.verify.issuedOn')}</dt>
        <dd>{formatDate(ctx.locale, status.issuedAt)}</dd>
        <dt>{t('esignature.verify.validUntil')}</dt>
        <dd>{status.validUntil ? formatDate(ctx.locale, status.validUntil) : t('esignature.verify.noEnd')}</dd>
        <dt>{t('esignature.verify.number')}</dt>
        <dd><span class="tracking">{status.id}</span></dd>
      </dl>
      {status.facts.length > 0 && (
        <>
          <h2>{t('esignature.verify.facts')}</h2>
          <dl class="facts" lang={status.locale === ctx.locale ? undefined : status.locale} dir={status.locale === ctx.locale ? undefined : directionOf(status.locale)}>
            {status.facts.map((fact) => (
              <>
                <dt>{fact.label}</dt>
                <dd>{fact.value}</dd>
              </>
            ))}
          </dl>
        </>
      )}
      <h2>{t('esignature.verify.uploadTitle')}</h2>
      <p>{t('esignature.verify.uploadLead')}</p>
      <form class="stack" method="post" action={`/verify/${status.id}`} enctype="multipart/form-data" novalidate>
        <CsrfField ctx={ctx} />
        <Field type="file" name="file" label={t('esignature.verify.fileLabel')} hint={t('esignature.verify.fileHint', { size: UPLOAD_LIMIT_MB })} error={fileError} accept=".pdf,application/pdf" />
        <div>
          <button type="submit">{t('esignature.verify.uploadButton')}</button>
        </div>
      </form>
      <p><a href="/verify">{t('esignature.verify.another')}</a></p>
    </>
  );
}

/** The uploaded file, if the form carried one. */
async function uploadedFile(request: FastifyRequest): Promise<Buffer | null> {
  const part = (request.body as Record<string, MultipartFile | MultipartFile[] | undefined> | undefined)?.file;
  const file = Array.isArray(part) ? part[0] : part;
  if (!file || file.type !== 'file' || !file.filename) return null;
  return file.toBuffer();
}

/**
 * /verify: anyone, signed in or not, checks a document by its number (the QR code leads to its
 * page) and can upload a copy to learn whether it is exactly the file issued.
 */
export function verifyPages(deps: { db: Db }, oidcLabel: string | null) {
  const { db } = deps;
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, oidcLabel);

    /** The document's page, or 404 with the form to try another number. */
    const renderDocument = async (ctx: PageContext, reply: FastifyReply, rawId: string, outcome?: UploadOutcome, status = 200) => {
      const id = documentIdOf(rawId);
      const found = id ? await documentStatus(db, id) : null;
      if (!found) return sendPage(reply, ctx, { title: ctx.t('esignature.verify.notFoundTitle'), body: <UnknownDocumentPage ctx={ctx} /> }, 404);
      return sendPage(reply, ctx, { title: found.title, body: <DocumentPage ctx={ctx} status={found} outcome={outcome} /> }, status);
    };

    app.get('/verify', {
      config: { access: access.public },
      schema: { summary: 'Check a document: type its number', tags: ['web'], querystring: Type.Object({ id: FormText(100), lang: FormText(5) }) },
      handler: async (request, reply) => {
        const typed = request.query.id?.trim();
        if (typed === undefined) {
          const ctx = ctxOf(request, reply);
          return sendPage(reply, ctx, { title: ctx.t('esignature.verify.title'), body: <VerifyIndexPage ctx={ctx} /> });
        }
        const id = documentIdOf(typed);
        if (id) return reply.redirect(`/verify/${id}`, 303);
        const ctx = ctxOf(request, reply);
        return sendPage(reply, ctx, { title: ctx.t('esignature.verify.title'), body: <VerifyIndexPage ctx={ctx} value={typed} error={ctx.t('esignature.verify.invalidId')} /> }, 400);
      },
    });

    app.get('/verify/:id', {
      config: { access: access.public },
      schema: { summary: 'Whether a document is genuine, current, expired or revoked, with its key facts (where its QR code leads)', tags: ['web'], params: DocumentIdParams, querystring: Type.Object({ lang: FormText(5) }) },
      handler: async (request, reply) => renderDocument(ctxOf(request, reply), reply, request.params.id),
    });

    app.post('/verify/:id', {
      config: { access: access.public },
      schema: { summary: 'Check whether an uploaded PDF is exactly the document issued (multipart form, field "file")', tags: ['web'], params: DocumentIdParams, consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        if (!request.isMultipart()) throw new Problem(415, 'Send the file as multipart/form-data.');
        const ctx = ctxOf(request, reply);
        const id = documentIdOf(request.params.id);
        if (!id) return renderDocument(ctx, reply, request.params.id);
        const file = await uploadedFile(request);
        if (!file) return renderDocument(ctx, reply, id, { error: ctx.t('esignature.verify.result.noFile') }, 400);
        if (file.length > UPLOAD_LIMIT_MB * 1024 * 1024) return renderDocument(ctx, reply, id, { error: ctx.t('esignature.verify.result.tooLarge', { size: UPLOAD_LIMIT_MB }) }, 413);
        if ((await detectDocumentKind(file)) !== 'pdf') return renderDocument(ctx, reply, id, { error: ctx.t('esignature.verify.result.notPdf') }, 400);
        return renderDocument(ctx, reply, id, { verdict: await checkIssuedFile(db, id, file) });
      },
    });
  };
}
