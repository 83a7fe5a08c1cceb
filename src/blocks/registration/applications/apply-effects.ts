import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';
import { isLocale, translator, formatDate, DEFAULT_LOCALE } from '../../../platform/i18n/index.ts';
import type { AuditActor } from '../../audit/index.ts';
import { findPartyById, findUserById } from '../../identity/index.ts';
import type { Transition } from '../../workflow/index.ts';
import type { OutputSchema, ServiceDefinition } from '../definition/schema.ts';
import type { RegistrationDeps } from './context.ts';
import { answersAsText } from './form-engine.ts';
import { fillTemplate, pickText, queueNotifications, queueStatusSms } from './notify-people.ts';
import type { ApplicationRow } from './store.ts';
import type { Static } from '@sinclair/typebox';
import { Decimal } from 'decimal.js';
import { CONTINUE_AFTER_PAYMENT_TASK } from './continue-after-payment.ts';
import { bookAppointment, cancelAppointments } from './book-appointment.ts';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS_TO_PAY = 30;
const REGISTRATION_ACTOR: AuditActor = { type: 'system', id: null, name: 'registration' };

/** Carry out what a move calls for: issue (and sign) documents, book visits, ask for the fees, tell people. */
export async function applyEffects(deps: RegistrationDeps, trx: Tx, definition: ServiceDefinition, application: ApplicationRow, transition: Transition, requestId: string | null = null): Promise<void> {
  for (const effect of transition.effects) {
    if ('issue' in effect) {
      const output = (definition.outputs ?? []).find((o) => o.id === effect.issue)!;
      await issueOutput(deps, trx, definition, application, output, transition.inputs, requestId);
    } else if ('book' in effect) {
      await bookAppointment(deps, trx, definition, application, effect.book, REGISTRATION_ACTOR, requestId);
    }
  }
  const entered = definition.workflow.states.find((s) => s.id === transition.to);
  if (entered?.payment) await askForFees(deps, trx, definition, application, entered.payment.dueDays ?? DEFAULT_DAYS_TO_PAY, requestId);
  // A case closed without a grant owes nothing more, and expects no more visits.
  if (transition.outcome && transition.outcome !== 'granted') {
    await deps.payments.cancelOpenInvoices(trx, 'application', application.id, `application ${transition.outcome}`, REGISTRATION_ACTOR);
    await cancelAppointments(deps, trx, application, `application ${transition.outcome}`, REGISTRATION_ACTOR);
  }
  const on = [`state:${transition.to}`, ...(transition.actionId ? [`action:${transition.actionId}`] : [])];
  if (transition.from !== transition.to) await queueStatusSms(trx, deps.messenger, definition, application, { on, state: transition.to });
  await queueNotifications(trx, deps.jobs, definition, application, {
    on,
    explicit: transition.effects.flatMap((e) => ('notify' in e ? [e.notify] : [])),
    vars: { ...transition.inputs, state: transition.to },
    key: `${transition.from}>${transition.to}:${transition.actionId ?? ''}:${Date.now()}`,
  });
}

/** The applicant (the person or organisation applied for), as named on what is issued to them. */
async function holderOf(trx: Tx, application: ApplicationRow): Promise<string | null> {
  const party = await findPartyById(trx, application.applicant_party_id);
  return party?.name ?? (await findUserById(trx, application.created_by))?.display_name ?? null;
}

async function issueOutput(deps: RegistrationDeps, trx: Tx, definition: ServiceDefinition, application: ApplicationRow, output: Static<typeof OutputSchema>, inputs: Record<string, unknown>, requestId: string | null): Promise<void> {
  const issuedAt = new Date();
  const validUntil = output.validityDays ? new Date(issuedAt.getTime() + output.validityDays * DAY_MS) : null;
  const body = Object.fromEntries(
    Object.entries(output.body).map(([locale, text]) => [
      locale,
      fillTemplate(text, { ...answersAsText(definition, application.data, locale), ...inputs, trackingNumber: application.tracking_number, issuedAt: issuedAt.toISOString().slice(0, 10) }),
    ]),
  );
  const id = randomUUID();
  const inserted = await sql`
    INSERT INTO registration_outputs (id, application_id, output_id, title, body, issued_at, valid_until)
    VALUES (${id}, ${application.id}, ${output.id}, ${JSON.stringify(output.title)}::jsonb, ${JSON.stringify(body)}::jsonb, ${issuedAt}, ${validUntil})
    ON CONFLICT (application_id, output_id) DO NOTHING`.execute(trx);
  if (inserted.numAffectedRows === 0n || output.signed === false) return;
  const locale = isLocale(application.locale) ? application.locale : DEFAULT_LOCALE;
  const t = translator(locale);
  const holderName = await holderOf(trx, application);
  const document = await deps.signer.issue(trx, {
    agencyId: application.agency_id,
    kind: output.id,
    subjectType: 'application',
    subjectId: application.id,
    locale,
    title: pickText(output.title, locale),
    body: pickText(body, locale),
    facts: [
      { label: t('output.service'), value: pickText(definition.title, locale) },
      { label: t('applications.trackingNumber'), value: application.tracking_number ?? '' },
      ...(holderName ? [{ label: t('output.holder'), value: holderName }] : []),
      { label: t('output.validUntil'), value: validUntil ? formatDate(locale, validUntil) : t('output.noEnd') },
    ],
    holderName,
    issuedAt,
    validUntil,
    issuedBy: REGISTRATION_ACTOR,
    requestId,
  });
  await sql`UPDATE registration_outputs SET document_id = ${document.id} WHERE id = ${id}`.execute(trx);
}

/**
 * Open the invoice of the fees (idempotent: one per application). When the answers make the fees
 * nothing at all, there is nothing to wait for and the case moves on as if paid; so does a case
 * that enters the payment state again (a revised project checked anew) with its fees already paid,
 * since the settlement it waits for was announced the first time.
 */
async function askForFees(deps: RegistrationDeps, trx: Tx, definition: ServiceDefinition, application: ApplicationRow, dueDays: number, requestId: string | null): Promise<void> {
  if (application.fees.every((f) => new Decimal(f.amount).isZero())) {
    await deps.jobs.enqueue(trx, CONTINUE_AFTER_PAYMENT_TASK, { invoiceId: null, subjectType: 'application', subjectId: application.id, purpose: 'fees' }, { dedupeKey: `no-fees:${application.id}` });
    return;
  }
  const invoice = await deps.payments.openInvoice(trx, {
    agencyId: application.agency_id,
    subjectType: 'application',
    subjectId: application.id,
    purpose: 'fees',
    payer: { partyId: application.applicant_party_id, userId: application.created_by, name: (await holderOf(trx, application)) ?? '', locale: application.locale },
    currency: definition.fees!.currency,
    decimals: definition.fees!.decimals,
    lines: application.fees.map((f) => ({ id: f.id, label: f.label, amount: f.amount })),
    dueAt: new Date(Date.now() + dueDays * DAY_MS),
    actor: REGISTRATION_ACTOR,
    requestId,
  });
  // A new invoice of a fee above zero is open; paid means it was paid on an earlier visit.
  if (invoice.state === 'paid') {
    await deps.jobs.enqueue(trx, CONTINUE_AFTER_PAYMENT_TASK, { invoiceId: invoice.id, subjectType: 'application', subjectId: application.id, purpose: 'fees' });
  }
}
