import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';
import type { Transition } from '../../workflow/index.ts';
import type { ServiceDefinition } from '../definition/schema.ts';
import type { RegistrationDeps } from './context.ts';
import { answersAsText } from './form-engine.ts';
import { fillTemplate, queueNotifications } from './notify-people.ts';
import type { ApplicationRow } from './store.ts';

const DAY_MS = 86_400_000;

/** Carry out what a move calls for: issue documents, tell people. */
export async function applyEffects(deps: RegistrationDeps, trx: Tx, definition: ServiceDefinition, application: ApplicationRow, transition: Transition): Promise<void> {
  for (const effect of transition.effects) {
    if (!('issue' in effect)) continue;
    const output = (definition.outputs ?? []).find((o) => o.id === effect.issue)!;
    const issuedAt = new Date();
    const body = Object.fromEntries(
      Object.entries(output.body).map(([locale, text]) => [
        locale,
        fillTemplate(text, { ...answersAsText(definition, application.data, locale), ...transition.inputs, trackingNumber: application.tracking_number, issuedAt: issuedAt.toISOString().slice(0, 10) }),
      ]),
    );
    await sql`
      INSERT INTO registration_outputs (id, application_id, output_id, title, body, issued_at, valid_until)
      VALUES (${randomUUID()}, ${application.id}, ${output.id}, ${JSON.stringify(output.title)}::jsonb, ${JSON.stringify(body)}::jsonb, ${issuedAt},
              ${output.validityDays ? new Date(issuedAt.getTime() + output.validityDays * DAY_MS) : null})
      ON CONFLICT (application_id, output_id) DO NOTHING`.execute(trx);
  }
  await queueNotifications(trx, deps.jobs, definition, application, {
    on: [`state:${transition.to}`, ...(transition.actionId ? [`action:${transition.actionId}`] : [])],
    explicit: transition.effects.flatMap((e) => ('notify' in e ? [e.notify] : [])),
    vars: { ...transition.inputs, state: transition.to },
    key: `${transition.from}>${transition.to}:${transition.actionId ?? ''}:${Date.now()}`,
  });
}

