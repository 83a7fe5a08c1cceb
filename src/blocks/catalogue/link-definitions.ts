import type { Db } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, SYSTEM_ACTOR } from '../audit/index.ts';
import { currentDefinition, DEFINITION_PUBLISHED, DEFINITION_RETIRED } from '../registration/index.ts';
import { findAgencyByCode, listAgencies } from '../identity/index.ts';
import { findServiceByCode, upsertService } from './store.ts';
import type { ServiceRecord } from './service-record.ts';

/**
 * Keep the register in step with the live services: publishing a definition makes its register
 * entry fully online and links it (creating the entry from the definition when there is none);
 * retiring the last published version unlinks it and marks it as back on paper.
 */
export function linkRegisterToDefinitions(db: Db, jobs: JobQueue): void {
  const sync = async ({ serviceId }: { serviceId: string }) => {
    const current = await currentDefinition(db, serviceId);
    const entry = await findServiceByCode(db, serviceId);
    if (!current && !entry?.definitionId) return;
    const definition = current?.document;
    const agency = definition ? await findAgencyByCode(db, definition.agency) : undefined;
    const record: ServiceRecord = entry
      ? { ...entry, agencyCode: (await listAgencies(db)).find((a) => a.id === entry.agencyId)?.code ?? definition?.agency ?? '', definitionId: current ? serviceId : null, status: current ? 'fully-online' : 'paper', channels: current ? [...new Set([...entry.channels, 'online' as const])] : entry.channels.filter((c) => c !== 'online') }
      : {
          code: serviceId,
          agencyCode: definition!.agency,
          titles: definition!.title,
          descriptions: definition!.description,
          legalBasis: definition!.legalBasis ?? {},
          eligibility: {},
          documents: {},
          feeSummary: {},
          timeLimitDays: definition!.timeLimitDays ?? null,
          channels: ['online'],
          lifeEvents: definition!.lifeEvents ?? [],
          status: 'fully-online',
          definitionId: serviceId,
        };
    const agencyId = entry?.agencyId ?? agency!.id;
    await db.transaction().execute(async (trx) => {
      await upsertService(trx, record, agencyId);
      await recordAudit(trx, { actor: SYSTEM_ACTOR, agencyId, action: current ? 'catalogue.link-definition' : 'catalogue.unlink-definition', subjectType: 'public-service', subjectId: serviceId, details: { version: current?.version ?? null } });
    });
  };
  jobs.subscribe(DEFINITION_PUBLISHED, 'catalogue.link-published-definition', sync);
  jobs.subscribe(DEFINITION_RETIRED, 'catalogue.unlink-retired-definition', sync);
}
