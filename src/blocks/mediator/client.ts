import { randomUUID } from 'node:crypto';
import type { NodeKeys } from '../../platform/crypto/keys.ts';
import type { Db } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { HEADERS, REQUEST_CTY, RESPONSE_CTY, requestPayload, responsePayload, sha256, verifiedBy } from './signing.ts';
import { appendLog, findMember, type LogEntry } from './store.ts';

export interface MemberCall {
  /** This node's own member code, as the provider knows it. */
  from: string;
  /** The provider's member code; its address and key come from the member register. */
  to: string;
  /** `<registry>/read`. */
  service: string;
  /** `person` is the national id of the person whose consent covers the read, where the service has a purpose. */
  body: { person?: string; id?: string; match?: Record<string, string | number | boolean> };
  /** Who asked, on this side (the officer's account). */
  userId: string;
  /** The case or purpose: shown to the person whose data is read. */
  issue: string;
  timeoutMs?: number;
  /** Attempts after the first when the provider does not answer. */
  retries?: number;
}

export interface MemberAnswer {
  messageId: string;
  status: number;
  body: unknown;
}

export const RETRY_AFTER_SECONDS = 30;
const BACKOFF_MS = 200;

function unreachable(to: string): Problem {
  return new Problem(503, `The other agency's node (${to}) did not answer; retry later.`, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, extensions: { code: 'mediator.unavailable' } });
}

/**
 * Call another member's service: signed with this node's key, its answer checked against the
 * provider's registered key, and logged here too. A node that does not answer is retried with a
 * short back-off, then reported as a 503 — never a hang. Retries keep the message id: if an
 * earlier attempt did arrive, the provider refuses the copy (409) rather than answering twice.
 */
export async function callMember(db: Db, keys: NodeKeys, call: MemberCall): Promise<MemberAnswer> {
  const provider = await findMember(db, call.to);
  if (!provider) throw Problem.badRequest(`${call.to} is not a registered member.`);
  const messageId = randomUUID();
  const path = `/api/mediator/v1/${call.service}`;
  const body = JSON.stringify(call.body);
  const requestTime = new Date().toISOString();
  const facts = { method: 'POST', path, bodySha256: sha256(body), client: call.from, service: call.service, id: messageId, userId: call.userId, issue: call.issue, requestTime };
  const signature = await keys.sign(requestPayload(facts), REQUEST_CTY);
  const entry: LogEntry = { direction: 'out', messageId, client: call.from, provider: call.to, service: call.service, userId: call.userId, issue: call.issue, requestDigest: facts.bodySha256, status: 0, reason: null, signatures: { request: signature } };
  const headers = {
    'content-type': 'application/json',
    [HEADERS.client]: call.from, [HEADERS.service]: call.service, [HEADERS.id]: messageId, [HEADERS.userId]: call.userId,
    [HEADERS.issue]: call.issue, [HEADERS.requestTime]: requestTime, [HEADERS.signature]: signature,
  };
  const retries = call.retries ?? 2;
  let response: Response | undefined;
  for (let attempt = 0; attempt <= retries && !response; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (attempt - 1)));
    response = await fetch(new URL(path, provider.baseUrl), { method: 'POST', headers, body, signal: AbortSignal.timeout(call.timeoutMs ?? 3000) }).catch(() => undefined);
  }
  if (!response) {
    await appendLog(db, { ...entry, status: 503, reason: `no answer after ${retries + 1} attempts` });
    throw unreachable(call.to);
  }
  const text = await response.text();
  const answer = response.headers.get(HEADERS.signature);
  if (response.ok) {
    if (!answer || !(await verifiedBy(provider.publicJwk, answer, responsePayload({ id: messageId, status: response.status, bodySha256: sha256(text) }), RESPONSE_CTY))) {
      await appendLog(db, { ...entry, status: 502, reason: 'answer not signed by the provider\'s registered key' });
      throw new Problem(502, `The answer from ${call.to} is not signed by its registered key, so it was not used.`, { extensions: { code: 'mediator.unsignedAnswer' } });
    }
  }
  const parsed: unknown = text ? JSON.parse(text) : null;
  const reason = response.ok ? null : String((parsed as { detail?: unknown } | null)?.detail ?? response.statusText).slice(0, 500);
  await appendLog(db, { ...entry, status: response.status, reason, signatures: { request: signature, ...(answer ? { response: answer } : {}) } });
  return { messageId, status: response.status, body: parsed };
}
