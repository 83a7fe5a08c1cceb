import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import { sha256 } from '../../platform/crypto/password.ts';
import type { Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { mobileOrProblem } from './accounts.ts';
import { identityDb } from './store.ts';
import { recordFailure, throttledFor } from './throttle.ts';

export const CODE_MINUTES = 10;
export const CODE_ATTEMPTS = 5;
/** Codes sent in one throttle window: few to one phone (it is someone's pocket), a few more per account. */
export const SENDS_PER_PHONE = 3;
export const SENDS_PER_ACCOUNT = 5;

/** Delivers the code; the messaging block does it, in the caller's transaction. */
export type SendCode = (trx: Tx, sms: { to: string; code: string; userId: string; locale: string | null }) => Promise<void>;

// The row id salts the hash, so equal codes of two links do not share a hash.
const hashOf = (linkId: string, code: string) => sha256(`${linkId}:${code}`);

/**
 * Send a six-digit code to the phone a person wants to link. Sending is limited per phone and per
 * account (the identity throttle's windows), so the form cannot be used to flood a number.
 */
export async function requestPhoneLink(db: Db, sendCode: SendCode, principal: Principal, input: string, requestId: string): Promise<{ expiresAt: Date }> {
  const phone = mobileOrProblem(input);
  const keys = [`phone-link:phone:${phone}`, `phone-link:account:${principal.id}`];
  const wait = await throttledFor(db, [{ key: keys[0]!, limit: SENDS_PER_PHONE }, { key: keys[1]!, limit: SENDS_PER_ACCOUNT }]);
  if (wait > 0) throw Problem.tooManyRequests('Too many codes were sent. Wait a few minutes before asking for another.', wait);
  await recordFailure(db, keys);
  const id = randomUUID();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(Date.now() + CODE_MINUTES * 60_000);
  await db.transaction().execute(async (trx) => {
    await sql`INSERT INTO identity_phone_links (id, user_id, phone, code_hash, expires_at) VALUES (${id}, ${principal.id}, ${phone}, ${hashOf(id, code)}, ${expiresAt})`.execute(trx);
    await sendCode(trx, { to: phone, code, userId: principal.id, locale: principal.locale });
    await recordAudit(trx, { actor: actorOf(principal), action: 'identity.request-phone-link', subjectType: 'user', subjectId: principal.id, requestId, details: { codeValidMinutes: CODE_MINUTES } });
  });
  return { expiresAt };
}

/**
 * Check the code of the latest link asked for: right, and the phone becomes the account's; wrong,
 * and the attempt counts; after CODE_ATTEMPTS wrong ones, or once expired, the code is dead.
 */
export async function confirmPhoneLink(db: Db, principal: Principal, code: string, requestId: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const link = await sql<{ id: string; phone: string; code_hash: string; attempts: number; expires_at: Date }>`
      SELECT id, phone, code_hash, attempts, expires_at FROM identity_phone_links
      WHERE user_id = ${principal.id} AND confirmed_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE`.execute(trx);
    const row = link.rows[0];
    if (!row || row.expires_at.getTime() < Date.now() || row.attempts >= CODE_ATTEMPTS) throw Problem.invalidField('/body/code', 'this code has expired or was tried too often; ask for a new one', 'codeExpired');
    const given = Buffer.from(hashOf(row.id, code));
    if (!timingSafeEqual(given, Buffer.from(row.code_hash))) {
      await sql`UPDATE identity_phone_links SET attempts = attempts + 1 WHERE id = ${row.id}`.execute(trx);
      await recordAudit(trx, { actor: actorOf(principal), action: 'identity.wrong-phone-code', subjectType: 'user', subjectId: principal.id, requestId, details: { attempt: row.attempts + 1 } });
      return null;
    }
    await sql`UPDATE identity_phone_links SET confirmed_at = now() WHERE id = ${row.id}`.execute(trx);
    await identityDb(trx).updateTable('identity_users').set({ phone: row.phone }).where('id', '=', principal.id).execute();
    await recordAudit(trx, { actor: actorOf(principal), action: 'identity.link-phone', subjectType: 'user', subjectId: principal.id, requestId, details: { phone: 'linked' }, change: { phone: row.phone } });
    return row.phone;
  }).then((phone) => {
    // The wrong attempt is committed before it is refused, so it counts even though the answer is an error.
    if (phone === null) throw Problem.invalidField('/body/code', 'this is not the code we sent', 'codeWrong');
    return phone;
  });
}
