export { analyticsMigrations } from './migrations/index.ts';
export { subscribeToFacts, refreshRollups, requestRefresh, REFRESH_ROLLUPS_TASK, REFRESH_INTERVAL_MS } from './facts.ts';
export { figures, stateTimes, percent, targets, setTarget, publicCount, publicPercent, suppressed, suppressedStateTime, round1, SMALLEST_SHOWN, type Figures, type PublicFigures, type Scope, type Dimension, type Target, type StateTime, type PublicStateTime } from './figures.ts';
export { giveFeedback, hasGivenFeedback, feedbackEntries, ratingSummaries, FEEDBACK_THEMES, type FeedbackTheme, type FeedbackEntry, type FeedbackScope, type RatingSummary } from './feedback.ts';
export { figureCases, figureTotal, figureOf, readCasePosition, casePosition, CASE_FIGURES, CASE_POSITION, CHANNELS, type CaseFigure, type CaseRow, type CasePosition, type CaseScope, type Channel } from './cases.ts';
export { inviteToFeedback, feedbackPath, mayRate, isRateable, INVITE_TASK } from './invite.ts';
export { answerRateSms, smsKeywords, themeOf } from './rate-by-sms.ts';
export { feeFigures, feeMethodFigures, methodShares, publicFees, publicMethodShares, type FeeFigures, type FeeMethodFigures, type FeeMethodShare, type PublicFeeMethodShare, type PublicFees } from './fees.ts';
