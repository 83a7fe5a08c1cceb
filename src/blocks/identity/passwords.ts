import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import { hashPassword, randomToken, sha256, verifyPassword } from '../../platform/crypto/password.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import type { Mailer } from '../../platform/mail/mailer.ts';
import { recordAudit } from '../audit/index.ts';
import { endAllSessions } from './sessions.ts';
import { findUserById, findUserByLogin, identityDb } from './store.ts';
import { clearFailures, recordFailure, throttledFor } from './throttle.ts';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
const RESET_TTL_MINUTES = 60;
export const SEND_RESET_TASK = 'identity.send-password-reset';

// The most common leaked passwords that satisfy the length rule; a short list catches the worst.
const COMMON = new Set(['1234567890', 'password123', 'qwertyuiop', '0123456789', 'password1234', 'azertyuiop', '1111111111', 'iloveyou123', 'admin12345', 'welcome123']);

/** NIST SP 800-63B: length over composition rules, and no well-known or personal passwords. */
export function passwordProblem(password: string, username: string, pointer: string): Problem | null {
  const reason =
    [...password].length < PASSWORD_MIN ? `must be at least ${PASSWORD_MIN} characters`
    : password.length > PASSWORD_MAX ? `must be at most ${PASSWORD_MAX} characters`
    : COMMON.has(password.toLowerCase()) ? 'is one of the most common passwords; choose another'
    : password.toLowerCase().includes(username.toLowerCase()) ? 'must not contain your username'
    : null;
  return reason ? Problem.invalidField(pointer, reason) : null;
}

export interface Caller {
  userId: string;
  sessionIdHash: string | null;
  requestId: string;
}

export async function changePassword(db: Db, caller: Caller, current: string, next: string): Promise<void> {
  const user = await findUserById(db, caller.userId);
  if (!user) throw Problem.unauthorized();
  const key = `password-change:${user.id}`;
  if ((await throttledFor(db, [{ key, limit: 5 }])) > 0) throw Problem.tooManyRequests('Too many wrong attempts. Wait a few minutes.', 900);
  if (!(await verifyPassword(current, user.password_hash))) {
    await recordFailure(db, [key]);
    throw Problem.invalidField('/body/current', 'is not your current password');
  }
  const weak = passwordProblem(next, user.username, '/body/password');
  if (weak) throw weak;
  const hash = await hashPassword(next);
  await db.transaction().execute(async (trx) => {
    await identityDb(trx).updateTable('identity_users').set({ password_hash: hash, password_changed_at: new Date() }).where('id', '=', user.id).execute();
    const ended = await endAllSessions(trx, user.id, caller.sessionIdHash ?? undefined);
    await clearFailures(trx, key);
    await recordAudit(trx, {
      actor: { type: 'user', id: user.id, name: user.display_name },
      action: 'identity.change-password',
      subjectType: 'user',
      subjectId: user.id,
      requestId: caller.requestId,
      details: { otherSessionsEnded: ended },
    });
  });
}

/**
 * Always answers the same way, so the form cannot be used to learn which accounts exist. The
 * e-mail is sent by a job, committed with the request; the token is made by the job, so no
 * usable secret sits in the queue.
 */
export async function requestPasswordReset(db: Db, jobs: JobQueue, login: string, ip: string, requestId: string): Promise<void> {
  const keys = [`reset:account:${login.trim().toLowerCase()}`, `reset:ip:${ip}`];
  if ((await throttledFor(db, [{ key: keys[0]!, limit: 3 }, { key: keys[1]!, limit: 20 }])) > 0) return;
  await recordFailure(db, keys);
  const user = await findUserByLogin(db, login);
  if (!user || !user.email || user.disabled_at) return;
  await db.transaction().execute(async (trx) => {
    await jobs.enqueue(trx, SEND_RESET_TASK, { userId: user.id }, { dedupeKey: `reset:${user.id}:${requestId}`, maxAttempts: 5 });
    await recordAudit(trx, {
      actor: { type: 'system', id: null, name: 'anonymous' },
      action: 'identity.request-password-reset',
      subjectType: 'user',
      subjectId: user.id,
      requestId,
    });
  });
}

export function passwordResetSender(db: Db, mailer: Mailer, baseUrl: string, text: (locale: string | null) => { subject: string; body: (link: string) => string }) {
  return async ({ userId }: { userId: string }) => {
    const user = await findUserById(db, userId);
    if (!user?.email || user.disabled_at) return;
    const token = randomToken();
    await identityDb(db)
      .insertInto('identity_password_resets')
      .values({ token_hash: sha256(token), user_id: user.id, expires_at: new Date(Date.now() + RESET_TTL_MINUTES * 60_000) })
      .execute();
    const link = `${baseUrl}/password/reset?token=${token}`;
    const message = text(user.locale);
    await mailer.send({ to: user.email, subject: message.subject, text: message.body(link), messageId: `<reset-${randomUUID()}@daftari>` });
  };
}

/** Whether a reset link is still usable, without using it (to show the form or an error). */
export async function resetTokenIsValid(db: Db, token: string): Promise<boolean> {
  const row = await identityDb(db)
    .selectFrom('identity_password_resets')
    .select('user_id')
    .where('token_hash', '=', sha256(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return row !== undefined;
}

export async function resetPassword(db: Db, token: string, password: string, requestId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const claimed = await sql<{ user_id: string }>`
      UPDATE identity_password_resets SET used_at = now()
      WHERE token_hash = ${sha256(token)} AND used_at IS NULL AND expires_at > now()
      RETURNING user_id`.execute(trx);
    const userId = claimed.rows[0]?.user_id;
    if (!userId) throw new Problem(400, 'This reset link has expired or was already used. Ask for a new one.', { errors: [{ pointer: '/body/token', reason: 'expired or used' }] });
    const user = await findUserById(trx, userId);
    if (!user) throw Problem.notFound();
    const weak = passwordProblem(password, user.username, '/body/password');
    if (weak) throw weak;
    await identityDb(trx).updateTable('identity_users').set({ password_hash: await hashPassword(password), password_changed_at: new Date() }).where('id', '=', userId).execute();
    await identityDb(trx).updateTable('identity_password_resets').set({ used_at: new Date() }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
    await endAllSessions(trx, userId);
    // Proving control of the mailbox ends any lock-out that guessing caused.
    for (const login of [user.username, user.email].filter((l): l is string => Boolean(l))) await clearFailures(trx, `signin:account:${login.toLowerCase()}`);
    await recordAudit(trx, {
      actor: { type: 'user', id: user.id, name: user.display_name },
      action: 'identity.reset-password',
      subjectType: 'user',
      subjectId: user.id,
      requestId,
    });
  });
}
