/** What the hostile-input property test writes to FUZZ_REPORT and its bench version prints: per endpoint family, the cases it got and how they were answered. */
export interface FamilyReport {
  family: string;
  operations: number;
  cases: number;
  /** Answers by status class ("2xx", "4xx"…). */
  answers: Record<string, number>;
  seconds: number;
}
