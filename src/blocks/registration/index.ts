import { defineRole } from '../identity/index.ts';
import { AGENT_ROLE } from './applications/apply-for-present-person.ts';

defineRole(AGENT_ROLE, 'Agent at a service centre or post office: applies for people who are present, with their consent');

export { registrationMigrations } from './migrations/index.ts';
export { definitionRoutes } from './definition-routes.ts';
export { registerRoutes, RegisterQuery } from './register-routes.ts';
export { publicRegister, type RegisterEntry } from './applications/public-register.ts';
export {
  currentDefinition,
  currentDefinitions,
  findDefinition,
  meaningContext,
  publishDefinition,
  retireDefinition,
  DefinitionInvalid,
  DEFINITION_PUBLISHED,
  DEFINITION_RETIRED,
  type StoredDefinition,
} from './definitions.ts';
export { validateDefinition, validateDefinitionSource, reachableStates, type DefinitionProblem, type MeaningContext } from './definition/validate-definition.ts';
export { ServiceDefinitionSchema, publishedSchema, type ServiceDefinition, type FieldDefinition, type StepDefinition, type DocumentDefinition, type StateDefinition, type ActionDefinition, type InputDefinition, type CheckDefinition } from './definition/schema.ts';
export { agencyIdsOf, applicationForApplicant, canWorkAs, definitionOf, mayActAsApplicant, type RegistrationDeps } from './applications/context.ts';
export { startApplication, saveStep, attachDocument, removeDocument, discardDraft, FormInvalid, type Upload } from './applications/draft-application.ts';
export { prefillStep, stepPrefills, prefillGroups, type StepPrefill, type PrefillGroup } from './applications/prefill-step.ts';
export { applyForPresentPerson, applicationForAssistant, AGENT_ROLE, TRACKING_NUMBER_SMS } from './applications/apply-for-present-person.ts';
export { answerNotFound, answerStatusSms, caseForPhone, type CaseForPhone, type NextStep } from './applications/answer-status-sms.ts';
export { answerPaySms, owedOn, payFromPhone, type Owed, type PhonePayment } from './applications/pay-from-phone.ts';
export { submitApplication, applyInOneStep, APPLICATION_SUBMITTED } from './applications/submit-application.ts';
export { actOnApplication, reviewApplication, answerAsApplicant, withdrawApplication, extendApplicationDeadline, applicationForStaff } from './applications/act-on-application.ts';
export { describeApplication, type ApplicationView } from './applications/describe-application.ts';
export { notificationSender, NOTIFY_TASK, fillTemplate, phoneLocale, pickText } from './applications/notify-people.ts';
export { continueCasesWhenPaid, CONTINUE_AFTER_PAYMENT_TASK } from './applications/continue-after-payment.ts';
export { visibleSteps, visibleFields, visibleDocuments, readStep, checkAnswers, checkFindings, tablesOf, computeFees, totalOf, answersAsText, firstIncompleteStep, type FieldError, type FeeLine, type FormData, type Finding } from './applications/form-engine.ts';
export { findApplication, findApplications, findByTrackingNumber, applicationsOf, documentsOf, outputsOf, type ApplicationRow, type DocumentRow, type OutputRow, type PrefilledAnswer } from './applications/store.ts';
export { newTrackingNumber, normaliseTrackingNumber } from './applications/tracking-number.ts';
