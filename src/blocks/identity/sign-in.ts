import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.ts';
import { verifyPassword } from '../../platform/crypto/password.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit } from '../audit/index.ts';
import { startSession, type SessionSettings } from './sessions.ts';
import { findUserByLogin, type User } from './store.ts';
import { clearFailures, recordFailure, throttledFor } from './throttle.ts';

export const SIGN_IN_LIMITS = { perAccount: 5, perAddress: 30 };

/** One message for a wrong password, an unknown account and a disabled one: none reveals which. */
export const SIGN_IN_REFUSED = 'The username or password is not correct.';
export const SIGN_IN_THROTTLED = 'Too many failed sign-in attempts. Wait a few minutes and try again.';

/**
 * Check a username and password and start a session. Failures count against both the account
 * name (whether or not it exists) and the caller's address, so neither guessing one account's
 * password nor spraying many accounts from one address gets far.
 */
export async function signInWithPassword(db: Db, request: FastifyRequest, reply: FastifyReply, settings: SessionSettings, login: string, password: string): Promise<User> {
  const accountKey = `signin:account:${login.trim().toLowerCase()}`;
  const addressKey = `signin:ip:${request.ip}`;
  const wait = await throttledFor(db, [
    { key: accountKey, limit: SIGN_IN_LIMITS.perAccount },
    { key: addressKey, limit: SIGN_IN_LIMITS.perAddress },
  ]);
  if (wait > 0) throw Problem.tooManyRequests(SIGN_IN_THROTTLED, wait);

  const user = await findUserByLogin(db, login);
  const passwordOk = await verifyPassword(password, user?.password_hash ?? null);
  if (!user || !passwordOk || user.disabled_at) {
    await db.transaction().execute(async (trx) => {
      await recordFailure(trx, [accountKey, addressKey]);
      if (user) {
        await recordAudit(trx, {
          actor: { type: 'user', id: user.id, name: user.display_name },
          action: 'identity.sign-in-failed',
          subjectType: 'user',
          subjectId: user.id,
          requestId: request.id,
          details: { method: 'password' },
        });
      }
    });
    throw new Problem(401, SIGN_IN_REFUSED, { title: 'Sign-in failed' });
  }
  await db.transaction().execute(async (trx) => {
    await clearFailures(trx, accountKey);
    await startSession(trx, request, reply, user.id, settings);
    await recordAudit(trx, {
      actor: { type: 'user', id: user.id, name: user.display_name },
      action: 'identity.sign-in',
      subjectType: 'user',
      subjectId: user.id,
      requestId: request.id,
      details: { method: 'password' },
    });
  });
  return user;
}
