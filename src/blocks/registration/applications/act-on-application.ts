import type { Tx } from '../../../platform/db/database.ts';
import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { actorOf } from '../../audit/index.ts';
import { extendDeadline, giveOpinion, loadCase, maySeeCase, takeAction, takeApplicantAction, withdrawCase, type Transition, type WorkflowContext } from '../../workflow/index.ts';
import type { ServiceDefinition } from '../definition/schema.ts';
import { agencyIdsOf, applicationForApplicant, definitionOf, type RegistrationDeps } from './context.ts';
import { attachDocument, type Upload } from './draft-application.ts';
import { applyEffects } from './apply-effects.ts';
import { attachPhotos, storePhotos } from './action-photos.ts';
import { tablesOf } from './form-engine.ts';
import { findApplication, type ApplicationRow } from './store.ts';

/** An application an officer may open: 404 for everyone else, so ids reveal nothing. */
export async function applicationForStaff(trx: Tx | import('../../../platform/db/database.ts').Db, principal: Principal | null, id: string): Promise<ApplicationRow> {
  if (!principal) throw Problem.unauthorized();
  const application = await findApplication(trx, id);
  const row = application?.status === 'submitted' ? await loadCase(trx, application.id) : undefined;
  if (!application || !row || !(await maySeeCase(trx, principal, row))) throw Problem.notFound('No case you may see has this id.');
  return application;
}

async function withWorkflow<T>(deps: RegistrationDeps, application: ApplicationRow, requestId: string, work: (ctx: WorkflowContext, definition: ServiceDefinition) => Promise<T>): Promise<T> {
  return deps.db.transaction().execute(async (trx) => {
    const definition = await definitionOf(trx, application.service_id, application.service_version);
    return work({ trx, jobs: deps.jobs, definition, agencyIds: agencyIdsOf(trx), requestId, data: application.data }, definition);
  });
}

/** An officer's decision or step on a case, with the photos its inputs ask for (an inspection). */
export async function actOnApplication(deps: RegistrationDeps, input: { applicationId: string; actionId: string; inputs: Record<string, unknown>; uploads?: Upload[]; expectedState?: string; principal: Principal; requestId: string }): Promise<Transition> {
  const application = await applicationForStaff(deps.db, input.principal, input.applicationId);
  const definition = await definitionOf(deps.db, application.service_id, application.service_version);
  const row = await loadCase(deps.db, application.id);
  const action = definition.workflow.states.find((s) => s.id === row?.state)?.actions?.find((a) => a.id === input.actionId);
  const photos = await storePhotos(deps, action, input.inputs, input.uploads ?? []);
  return withWorkflow(deps, application, input.requestId, async (ctx) => {
    const inputs = { ...input.inputs, ...(await attachPhotos(ctx.trx, application, photos, input.principal)) };
    const transition = await takeAction(ctx, { caseId: application.id, actionId: input.actionId, principal: input.principal, inputs, expectedState: input.expectedState, scope: tablesOf(definition) });
    await applyEffects(deps, ctx.trx, definition, application, transition, ctx.requestId);
    return transition;
  });
}

/** A reviewing agency's opinion; the last one moves the case on. */
export async function reviewApplication(deps: RegistrationDeps, input: { applicationId: string; reviewId: string; opinion: 'agree' | 'object'; conditions: string; principal: Principal; requestId: string }): Promise<Transition | null> {
  const application = await applicationForStaff(deps.db, input.principal, input.applicationId);
  return withWorkflow(deps, application, input.requestId, async (ctx, definition) => {
    const transition = await giveOpinion(ctx, { caseId: application.id, reviewId: input.reviewId, principal: input.principal, opinion: input.opinion, conditions: input.conditions });
    if (transition) await applyEffects(deps, ctx.trx, definition, application, transition, ctx.requestId);
    return transition;
  });
}

/** The applicant answers what was asked (with documents where the definition allows). */
export async function answerAsApplicant(deps: RegistrationDeps, input: { applicationId: string; actionId: string; inputs: Record<string, unknown>; uploads: Upload[]; expectedState?: string; principal: Principal; requestId: string }): Promise<Transition> {
  const application = await applicationForApplicant(deps.db, input.principal, input.applicationId);
  if (application.status !== 'submitted') throw Problem.conflict('This application is still a draft.');
  const definition = await definitionOf(deps.db, application.service_id, application.service_version);
  const row = await loadCase(deps.db, application.id);
  const action = definition.workflow.states.find((s) => s.id === row?.state)?.applicantActions?.find((a) => a.id === input.actionId);
  if (input.uploads.length > 0 && !action?.documents) throw Problem.invalidField('/body/documents', 'documents cannot be sent with this answer');
  // Files are checked and stored before the move; a refused move leaves them unattached to any decision.
  for (const upload of input.uploads) await attachDocument(deps, { applicationId: application.id, upload, principal: input.principal, requestId: input.requestId, allowSubmitted: true });
  return withWorkflow(deps, application, input.requestId, async (ctx) => {
    const transition = await takeApplicantAction(ctx, { caseId: application.id, actionId: input.actionId, actor: actorOf(input.principal), inputs: input.inputs, expectedState: input.expectedState });
    await applyEffects(deps, ctx.trx, definition, application, transition, ctx.requestId);
    return transition;
  });
}

/** Give the current step more time, with a reason; only the head of the owning agency may. */
export async function extendApplicationDeadline(deps: RegistrationDeps, input: { applicationId: string; days: number; reason: string; principal: Principal; requestId: string }): Promise<Date> {
  const application = await applicationForStaff(deps.db, input.principal, input.applicationId);
  return withWorkflow(deps, application, input.requestId, (ctx) => extendDeadline(ctx, { caseId: application.id, days: input.days, reason: input.reason, principal: input.principal }));
}

export async function withdrawApplication(deps: RegistrationDeps, input: { applicationId: string; reason: string; principal: Principal; requestId: string }): Promise<Transition> {
  const application = await applicationForApplicant(deps.db, input.principal, input.applicationId);
  if (application.status !== 'submitted') throw Problem.conflict('A draft is discarded, not withdrawn.');
  return withWorkflow(deps, application, input.requestId, async (ctx, definition) => {
    const transition = await withdrawCase(ctx, { caseId: application.id, actor: actorOf(input.principal), reason: input.reason });
    await applyEffects(deps, ctx.trx, definition, application, transition, ctx.requestId);
    return transition;
  });
}
