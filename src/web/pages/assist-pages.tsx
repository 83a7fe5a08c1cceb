import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AGENT_ROLE,
  applicationForAssistant,
  applyForPresentPerson,
  currentDefinition,
  currentDefinitions,
  describeApplication,
  pickText,
  readStep,
  visibleFields,
  visibleSteps,
  TRACKING_NUMBER_SMS,
  type ApplicationView,
  type FormData,
  type RegistrationDeps,
  type ServiceDefinition,
} from '../../blocks/registration/index.ts';
import { messagesAbout } from '../../blocks/messaging/index.ts';
import { access, hasRole, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { ChannelFacts } from '../components/application-parts.tsx';
import { AnswersForm, Choices, CsrfField, DefinitionId, ErrorSummary, Field, isClientProblem, translatedErrors, type FieldErrors } from '../components/forms.tsx';
import { fieldQuestion, QuestionField } from '../components/question-field.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

/**
 * The agent's counter: an agent (role `agent`) fills in a service's form with the person in front
 * of them, checks their ID document and records how they agreed, and submits it as the person's
 * own application (POST /api/registration/assisted-applications does the same for machines).
 */
const AGENTS = access.roles(AGENT_ROLE);
const ID_DOCUMENTS = ['national-id-card', 'passport', 'voter-card', 'birth-certificate'] as const;
const CONSENT_METHODS = ['signed-form', 'verbal', 'thumbprint'] as const;
/** The form's own fields, besides the service's questions. */
const PERSON_FIELDS = ['_csrf', '_shown', 'idempotencyKey', 'nationalId', 'idDocument', 'consentMethod', 'consentGiven'];
const NATIONAL_ID = /^[A-Za-z0-9-]{3,40}$/;

type Values = Record<string, unknown>;

/** Services an agent can take at the counter: those of agencies their grant reaches, asking for no uploaded documents. */
async function servicesFor(deps: RegistrationDeps, principal: Principal) {
  return (await currentDefinitions(deps.db)).filter((stored) => hasRole(principal, AGENT_ROLE, stored.agencyId) && !(stored.document.documents ?? []).some((d) => d.required !== false));
}

function ServicesPage({ ctx, services }: { ctx: PageContext; services: ServiceDefinition[] }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('assisted.page.title')}</h1>
      <p class="lead">{t('assisted.page.lead')}</p>
      <h2>{t('assisted.page.chooseService')}</h2>
      {services.length === 0 ? (
        <p>{t('assisted.page.noServices')}</p>
      ) : (
        <ul>
          {services.map((service) => <li><a href={`/assist/${service.id}`}>{pickText(service.title, ctx.locale)}</a></li>)}
        </ul>
      )}
    </>
  );
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function FormPage({ ctx, definition, data, values, errors, message, notice }: { ctx: PageContext; definition: ServiceDefinition; data: FormData; values: Values; errors: FieldErrors; message?: string; notice?: string }) {
  const { t } = ctx;
  const steps = visibleSteps(definition, data);
  const fields = steps.flatMap((step) => visibleFields(step, data));
  const labels: Record<string, string> = {
    nationalId: t('assisted.page.nationalId'),
    idDocument: t('assisted.page.idDocument'),
    consentMethod: t('assisted.page.consentMethod'),
    consentGiven: t('assisted.page.consentGiven'),
    ...Object.fromEntries(fields.map((f) => [f.id, pickText(f.label, ctx.locale)])),
  };
  return (
    <>
      <p class="caption">{t('assisted.page.title')}</p>
      <h1>{pickText(definition.title, ctx.locale)}</h1>
      <ErrorSummary ctx={ctx} message={message} errors={errors} labels={labels} />
      {notice && <p class="notice" role="status">{notice}</p>}
      <form class="stack" method="post" action={`/assist/${definition.id}`} novalidate>
        <CsrfField ctx={ctx} />
        <input type="hidden" name="idempotencyKey" value={text(values.idempotencyKey) || randomUUID()} />
        <input type="hidden" name="_shown" value={fields.map((f) => f.id).join(' ')} />
        <h2>{t('assisted.page.person')}</h2>
        <Field name="nationalId" label={labels.nationalId!} hint={t('assisted.page.nationalIdHint')} value={text(values.nationalId)} error={errors.nationalId} autocomplete="off" maxLength={40} />
        <Choices name="idDocument" label={labels.idDocument!} error={errors.idDocument} checked={[text(values.idDocument)]} choices={ID_DOCUMENTS.map((d) => ({ value: d, label: t(`assisted.idDocument.${d}`) }))} />
        <Choices name="consentMethod" label={labels.consentMethod!} error={errors.consentMethod} checked={[text(values.consentMethod)]} choices={CONSENT_METHODS.map((m) => ({ value: m, label: t(`assisted.consentMethod.${m}`) }))} />
        <Choices name="consentGiven" label={t('assisted.page.consent')} error={errors.consentGiven} multiple checked={[text(values.consentGiven)]} choices={[{ value: 'yes', label: labels.consentGiven! }]} />
        {steps.map((step) => (
          <>
            <h2>{pickText(step.title, ctx.locale)}</h2>
            {visibleFields(step, data).map((field) => <QuestionField ctx={ctx} question={fieldQuestion(field)} value={values[field.id]} error={errors[field.id]} />)}
          </>
        ))}
        <div>
          <button type="submit">{t('assisted.page.submit')}</button>
        </div>
      </form>
      <p><a href="/assist">{t('assisted.page.otherService')}</a></p>
    </>
  );
}

/** What the form says of the person, checked before anything is looked up. */
function readPerson(values: Values): { person?: { nationalId: string; idDocument: (typeof ID_DOCUMENTS)[number]; consentMethod: (typeof CONSENT_METHODS)[number] }; errors: InvalidParam[] } {
  const nationalId = text(values.nationalId).trim();
  const idDocument = ID_DOCUMENTS.find((d) => d === values.idDocument);
  const consentMethod = CONSENT_METHODS.find((m) => m === values.consentMethod);
  const errors: InvalidParam[] = [];
  if (!nationalId) errors.push({ pointer: '/body/nationalId', reason: 'is required', code: 'required' });
  else if (!NATIONAL_ID.test(nationalId)) errors.push({ pointer: '/body/nationalId', reason: 'is not in the format asked for', code: 'pattern' });
  if (!idDocument) errors.push({ pointer: '/body/idDocument', reason: 'choose one of the options', code: 'option' });
  if (!consentMethod) errors.push({ pointer: '/body/consentMethod', reason: 'choose one of the options', code: 'option' });
  if (values.consentGiven !== 'yes') errors.push({ pointer: '/body/consentGiven', reason: 'the person must agree' });
  return { person: errors.length === 0 ? { nationalId, idDocument: idDocument!, consentMethod: consentMethod! } : undefined, errors };
}

function DonePage({ ctx, view, smsQueued }: { ctx: PageContext; view: ApplicationView; smsQueued: boolean }) {
  const { t } = ctx;
  const { application, definition } = view;
  return (
    <>
      <div class="panel" role="status">
        <h1>{t('assisted.page.doneTitle')}</h1>
        <p>{t('assisted.page.trackingNumber', { trackingNumber: application.tracking_number ?? '' })}</p>
      </div>
      <dl class="facts">
        <dt>{t('assisted.page.service')}</dt>
        <dd>{pickText(definition.title, ctx.locale)}</dd>
        <ChannelFacts ctx={ctx} view={view} forStaff={true} />
      </dl>
      <p>{smsQueued ? t('assisted.page.smsSent') : t('assisted.page.noPhone')}</p>
      <p><a href={`/assist/${definition.id}`}>{t('assisted.page.another')}</a></p>
    </>
  );
}

export function assistPages(deps: RegistrationDeps, oidcLabel: string | null) {
  const { db } = deps;
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, oidcLabel);
    const Params = Type.Object({ serviceId: DefinitionId }, { additionalProperties: false });

    const serviceFor = async (request: FastifyRequest, serviceId: string) => {
      const current = await currentDefinition(db, serviceId);
      if (!current || !(await servicesFor(deps, requirePrincipal(request))).some((s) => s.serviceId === serviceId)) throw Problem.notFound('No service you can take at the counter has this id.');
      return current.document;
    };

    app.get('/assist', {
      config: { access: AGENTS },
      schema: { summary: 'The agent’s counter: the services an agent can apply for on behalf of the person present', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const services = (await servicesFor(deps, requirePrincipal(request))).map((s) => s.document);
        return sendPage(reply, ctx, { title: ctx.t('assisted.page.title'), body: <ServicesPage ctx={ctx} services={services} />, private: true });
      },
    });

    app.get('/assist/:serviceId', {
      config: { access: AGENTS },
      schema: { summary: 'The form an agent fills in with the person present: their ID, their consent, the service’s questions', tags: ['web'], params: Params },
      handler: async (request, reply) => {
        const definition = await serviceFor(request, request.params.serviceId);
        const ctx = ctxOf(request, reply);
        return sendPage(reply, ctx, { title: pickText(definition.title, ctx.locale), body: <FormPage ctx={ctx} definition={definition} data={{}} values={{}} errors={{}} />, private: true });
      },
    });

    app.post('/assist/:serviceId', {
      config: { access: AGENTS },
      schema: { summary: 'Submit an application for the person present, with the consent recorded (form)', tags: ['web'], params: Params, body: AnswersForm },
      handler: async (request, reply) => {
        const definition = await serviceFor(request, request.params.serviceId);
        const ctx = ctxOf(request, reply);
        const values: Values = request.body;
        const again = (data: FormData, errors: FieldErrors, status: number, extra: { message?: string; notice?: string } = {}) =>
          sendPage(reply, ctx, { title: pickText(definition.title, ctx.locale), body: <FormPage ctx={ctx} definition={definition} data={data} values={values} errors={errors} {...extra} />, private: true }, status);

        // Each step reads its own answers, as the applicant's step pages do.
        let data: FormData = {};
        const fieldErrors: InvalidParam[] = [];
        for (const step of definition.form.steps) {
          const raw = Object.fromEntries(step.fields.filter((f) => f.id in values && !PERSON_FIELDS.includes(f.id)).map((f) => [f.id, values[f.id]]));
          const read = readStep(step, raw, data);
          data = read.data;
          if (visibleSteps(definition, data).includes(step)) fieldErrors.push(...read.errors.map((e) => ({ pointer: `/body/data/${e.field}`, reason: e.reason, code: e.code, params: e.params })));
        }
        const shown = new Set(text(values._shown).split(' '));
        // Without JavaScript a question that depends on an answer can only appear once that answer is sent.
        if (visibleSteps(definition, data).some((step) => visibleFields(step, data).some((f) => !shown.has(f.id)))) {
          return again(data, translatedErrors(ctx, fieldErrors.filter((e) => shown.has(e.pointer.split('/').pop()!))), 200, { notice: ctx.t('apply.moreQuestions') });
        }
        const { person, errors: personErrors } = readPerson(values);
        if (!person || fieldErrors.length > 0) {
          const errors = translatedErrors(ctx, [...personErrors, ...fieldErrors]);
          if (errors.consentGiven) errors.consentGiven = ctx.t('assisted.page.consentMissing');
          return again(data, errors, 400);
        }
        try {
          const { application } = await applyForPresentPerson(deps, { serviceId: definition.id, data, person, principal: requirePrincipal(request), idempotencyKey: text(values.idempotencyKey) || randomUUID(), requestId: request.id });
          return reply.redirect(`/assist/done/${application.id}`, 303);
        } catch (err) {
          if (!isClientProblem(err) || (err.status !== 400 && err.status !== 403)) throw err;
          const errors = translatedErrors(ctx, err.errors, (pointer) => pointer.split('/').pop() ?? null);
          const message = errors.nationalId ? undefined : err.status === 403 ? ctx.t('assisted.page.notCovered') : Object.keys(errors).length === 0 ? err.detail : undefined;
          if (errors.nationalId) errors.nationalId = ctx.t('assisted.page.unknownPerson');
          return again(data, errors, err.status, { message });
        }
      },
    });

    app.get('/assist/done/:id', {
      config: { access: AGENTS },
      schema: { summary: 'The application an agent just submitted: its tracking number for the person, marked as assisted', tags: ['web'], params: Type.Object({ id: Uuid }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const application = await applicationForAssistant(db, principal, request.params.id);
        const view = await describeApplication(db, application, principal, 'applicant');
        const ctx = ctxOf(request, reply);
        const smsQueued = (await messagesAbout(db, 'application', application.id)).some((m) => m.template === TRACKING_NUMBER_SMS);
        return sendPage(reply, ctx, { title: ctx.t('assisted.page.doneTitle'), body: <DonePage ctx={ctx} view={view} smsQueued={smsQueued} />, private: true });
      },
    });
  };
}
