import type { ApplicationView } from '../applications/describe-application.ts';
import { pickText } from '../applications/notify-people.ts';
import type { StateDefinition } from '../definition/schema.ts';
import { eFormIdOf, serviceUuid } from './identifiers.ts';
import type { ApplicationFileOut, ApplicationListItemOut, Status } from './schemas.ts';

/**
 * GovStack's four status codes for a file. The enum has no code for "ended without a decision";
 * `ended` and the title (the state's own label) say what happened.
 */
const OUTCOME_CODES: Record<string, Status['code']> = { granted: 'APPROVED', closed: 'APPROVED', refused: 'REJECTED', withdrawn: 'REJECTED' };

/** The code of a file in this state; a state where the applicant is asked for more sent it back to them. */
export function statusCodeOf(state: StateDefinition): Status['code'] {
  if (state.outcome) return OUTCOME_CODES[state.outcome] ?? 'REJECTED';
  return (state.applicantActions ?? []).length > 0 ? 'SENDBACK' : 'PENDING';
}

export function statusOf(view: ApplicationView, locale: string): Status {
  if (!view.caseRow || !view.state) return { code: 'PENDING', title: 'Draft' };
  return { code: statusCodeOf(view.state), title: pickText(view.state.label, locale) };
}

export function documentUrl(baseUrl: string, applicationId: string, documentId: string): string {
  return `${baseUrl}/api/registration/applications/${applicationId}/documents/${documentId}`;
}

/** The file and document a URL from `documentUrl` (or its path alone) points to. */
export function parseDocumentUrl(url: string): { fileId: string; documentId: string } | null {
  const match = /\/api\/registration\/applications\/([0-9a-f-]{36})\/documents\/([0-9a-f-]{36})$/i.exec(url);
  return match ? { fileId: match[1]!.toLowerCase(), documentId: match[2]!.toLowerCase() } : null;
}

export function applicationFileOf(view: ApplicationView, locale: string, baseUrl: string): ApplicationFileOut {
  const a = view.application;
  return {
    fileId: a.id,
    applicantId: a.applicant_party_id,
    ...(a.submitted_at ? { registered: a.submitted_at.toISOString() } : {}),
    serviceId: serviceUuid(a.service_id),
    serviceName: pickText(view.definition.title, locale),
    status: statusOf(view, locale),
    ended: Boolean(view.caseRow?.closed_at),
    ...(a.tracking_number ? { trackingNumber: a.tracking_number } : {}),
    applicationData: {
      applicantId: a.applicant_party_id,
      created: a.created_at.toISOString(),
      formData: { eFormId: eFormIdOf(a.service_id, a.service_version), data: a.data },
      documentUrls: view.documents.map((d) => documentUrl(baseUrl, a.id, d.id)),
    },
  };
}

/** Who works the file now, for staff: the open task shown with it. */
export interface TaskOnFile {
  role: string;
  roleName: string;
  assigneeId: string | null;
  operatorName: string | null;
}

export function listItemOf(view: ApplicationView, locale: string, baseUrl: string, task: TaskOnFile | null): ApplicationListItemOut {
  const file = applicationFileOf(view, locale, baseUrl);
  const caseRow = view.caseRow;
  const facts = {
    trackingNumber: view.application.tracking_number,
    state: caseRow?.state,
    stateDueAt: caseRow?.state_due_at?.toISOString(),
    overdue: caseRow?.overdue,
    statutoryDueAt: caseRow?.statutory_due_at?.toISOString(),
    totalFee: view.totalFee,
    currency: view.totalFee ? view.definition.fees?.currency : undefined,
  };
  return {
    fileId: file.fileId,
    mainTaskId: file.fileId,
    ...(view.state ? { taskTitle: file.status.title } : {}),
    ...(task ? { roleId: task.role, roleName: task.roleName } : {}),
    ...(task?.assigneeId ? { assigneeId: task.assigneeId } : {}),
    ...(task?.operatorName ? { operatorName: task.operatorName } : {}),
    status: file.status,
    applicantId: file.applicationData.applicantId,
    created: file.applicationData.created,
    ...(file.registered ? { registered: file.registered } : {}),
    description: `${view.application.tracking_number ?? 'Draft'}: ${file.serviceName}`,
    serviceName: file.serviceName,
    serviceId: file.serviceId,
    eformId: file.applicationData.formData.eFormId,
    documentUrls: file.applicationData.documentUrls,
    // The spec's additionalMeta holds objects; ours is one, the facts a list shows.
    additionalMeta: { data: { case: Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined && v !== null)) } },
  };
}
