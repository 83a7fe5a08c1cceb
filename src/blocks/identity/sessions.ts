import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { randomToken, sha256 } from '../../platform/crypto/password.ts';
import { identityDb } from './store.ts';

export interface SessionSettings {
  idleMinutes: number;
  absoluteHours: number;
  /** Cookies marked Secure (and named with the __Host- prefix) when the site is served over https. */
  secure: boolean;
}

export function sessionCookieName(settings: SessionSettings): string {
  return settings.secure ? '__Host-daftari_session' : 'daftari_session';
}

/**
 * Start a new session for a user who just proved who they are. Any session the browser already
 * had is ended first, so a session id planted before sign-in is worthless afterwards.
 */
export async function startSession(executor: Executor, request: FastifyRequest, reply: FastifyReply, userId: string, settings: SessionSettings): Promise<string> {
  await endCurrentSession(executor, request, reply, settings);
  const token = randomToken();
  const idHash = sha256(token);
  await identityDb(executor)
    .insertInto('identity_sessions')
    .values({
      id_hash: idHash,
      user_id: userId,
      expires_at: new Date(Date.now() + settings.absoluteHours * 3_600_000),
      ip: request.ip,
      user_agent: (request.headers['user-agent'] ?? '').slice(0, 300),
    })
    .execute();
  reply.setCookie(sessionCookieName(settings), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
    maxAge: settings.absoluteHours * 3600,
  });
  return idHash;
}

export async function endCurrentSession(executor: Executor, request: FastifyRequest, reply: FastifyReply, settings: SessionSettings): Promise<void> {
  const token = request.cookies[sessionCookieName(settings)];
  if (token) {
    await identityDb(executor).deleteFrom('identity_sessions').where('id_hash', '=', sha256(token)).execute();
    reply.clearCookie(sessionCookieName(settings), { path: '/', secure: settings.secure, httpOnly: true, sameSite: 'lax' });
  }
}

/** End every session of a user: "sign out everywhere", and after a password change or reset. */
export async function endAllSessions(executor: Executor, userId: string, exceptIdHash?: string): Promise<number> {
  let query = identityDb(executor).deleteFrom('identity_sessions').where('user_id', '=', userId);
  if (exceptIdHash) query = query.where('id_hash', '<>', exceptIdHash);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The live session behind a cookie, touching its idle timer (at most once a minute). */
export async function resumeSession(executor: Executor, token: string, settings: SessionSettings): Promise<{ idHash: string; userId: string } | null> {
  const idHash = sha256(token);
  // The idle clock moves at most once a minute: most requests only read the session, and a read
  // commits without a write-ahead-log flush, where an UPDATE per request would cost one each.
  const result = await sql<{ user_id: string }>`
    WITH live AS (
      SELECT user_id, last_seen_at FROM identity_sessions
      WHERE id_hash = ${idHash} AND expires_at > now() AND last_seen_at > now() - make_interval(mins => ${settings.idleMinutes})
    ), seen AS (
      UPDATE identity_sessions SET last_seen_at = now()
      WHERE id_hash = ${idHash} AND EXISTS (SELECT 1 FROM live WHERE last_seen_at < now() - interval '1 minute')
    )
    SELECT user_id FROM live`.execute(executor);
  const row = result.rows[0];
  return row ? { idHash, userId: row.user_id } : null;
}

export async function purgeExpiredSessions(executor: Executor, settings: SessionSettings): Promise<void> {
  await sql`DELETE FROM identity_sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(mins => ${settings.idleMinutes})`.execute(executor);
}

export async function listSessions(executor: Executor, userId: string) {
  return identityDb(executor)
    .selectFrom('identity_sessions')
    .select(['id_hash', 'created_at', 'last_seen_at', 'ip', 'user_agent'])
    .where('user_id', '=', userId)
    .orderBy('last_seen_at', 'desc')
    .execute();
}
