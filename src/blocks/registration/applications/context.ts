import type { Db, Executor } from '../../../platform/db/database.ts';
import type { BlobStore } from '../../../platform/files/blob-store.ts';
import { hasRole, type Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import type { JobQueue } from '../../../platform/jobs/queue.ts';
import type { Signer } from '../../esignature/index.ts';
import type { Messenger } from '../../messaging/index.ts';
import type { Payments } from '../../payments/index.ts';
import type { Scheduler } from '../../scheduler/index.ts';
import { canActFor, findAgencyByCode, principalForUser } from '../../identity/index.ts';
import type { AgencyIds } from '../../workflow/index.ts';
import { findDefinition } from '../definitions.ts';
import type { ServiceDefinition } from '../definition/schema.ts';
import { findApplication, type ApplicationRow } from './store.ts';

export interface RegistrationDeps {
  db: Db;
  jobs: JobQueue;
  blobs: BlobStore;
  /** Fees the workflow waits for (states with `payment`). */
  payments: Payments;
  /** Signs the documents a service issues. */
  signer: Signer;
  /** Sends the notifications a service declares. */
  messenger: Messenger;
  /** Books the visits states call for (`book` effects): site inspections and the like. */
  scheduler: Scheduler;
}

/** Agency codes to ids, for definitions that name agencies by code. */
export function agencyIdsOf(executor: Executor): AgencyIds {
  return async (code) => {
    const agency = await findAgencyByCode(executor, code);
    if (!agency) throw Problem.conflict(`The agency "${code}" named by this service no longer exists.`);
    return agency.id;
  };
}

// A published version never changes, so its parsed document can be kept for the process's life.
const definitions = new Map<string, ServiceDefinition>();

export async function definitionOf(executor: Executor, serviceId: string, version: number): Promise<ServiceDefinition> {
  const key = `${serviceId}@${version}`;
  const cached = definitions.get(key);
  if (cached) return cached;
  const stored = await findDefinition(executor, serviceId, version);
  if (!stored) throw new Error(`definition ${key} is missing`);
  definitions.set(key, stored.document);
  return stored.document;
}

/** The applicant themselves, or someone acting for them under a mandate covering this service. */
export async function mayActAsApplicant(executor: Executor, principal: Principal | null, application: ApplicationRow): Promise<boolean> {
  if (!principal) return false;
  if (principal.kind === 'user' && application.created_by === principal.id) return true;
  return canActFor(executor, principal, application.applicant_party_id, application.service_id);
}

/** Load an application its applicant (or their agent) may see; others get 404, so ids reveal nothing. */
export async function applicationForApplicant(executor: Executor, principal: Principal | null, id: string, forUpdate = false): Promise<ApplicationRow> {
  if (!principal) throw Problem.unauthorized();
  const application = await findApplication(executor, id, forUpdate);
  if (!application || !(await mayActAsApplicant(executor, principal, application))) throw Problem.notFound('No application of yours has this id.');
  return application;
}

export function isPlatformAdmin(principal: Principal | null): boolean {
  return hasRole(principal, 'admin', null);
}

/** Whether another account may work tasks of `role` in `agencyId` (for assigning work to them). */
export function canWorkAs(executor: Executor) {
  return async (userId: string, role: string, agencyId: string): Promise<boolean> => hasRole(await principalForUser(executor, userId, null), role, agencyId);
}
