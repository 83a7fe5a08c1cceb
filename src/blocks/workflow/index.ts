export { workflowMigrations } from './migrations/index.ts';
export {
  startCase,
  takeAction,
  takeApplicantAction,
  withdrawCase,
  giveOpinion,
  claimTask,
  releaseTask,
  assignTask,
  extendDeadline,
  deadlineChecker,
  loadCase,
  caseOfSubject,
  mayTake,
  whoActs,
  agencyCodeOf,
  DEADLINE_TASK,
  DEADLINE_PASSED,
  CASE_MOVED,
  type CaseRow,
  type TaskRow,
  type Effect,
  type Transition,
  type AgencyIds,
  type WorkflowContext,
} from './engine.ts';
export { worklist, worklistPosition, readWorklistPosition, WORKLIST_POSITION, caseEvents, caseTasks, findTask, maySeeCase, type WorklistItem, type WorklistFilter, type CaseEvent } from './queries.ts';
export { transitionCounts, type Timeframe, type TransitionCount, type TransitionFilter } from './statistics.ts';
