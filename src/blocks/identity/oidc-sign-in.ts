import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { sql } from 'kysely';
import type { OidcConfig } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { sha256 } from '../../platform/crypto/password.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit } from '../audit/index.ts';
import { startSession, type SessionSettings } from './sessions.ts';
import { identityDb, type User } from './store.ts';

const FLOW_TTL_MINUTES = 10;

/**
 * Sign-in through a national digital ID (eSignet/MOSIP or any OpenID Connect provider):
 * authorization code flow with PKCE, state and nonce, the flow's secrets kept server-side.
 */
export class OidcSignIn {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly db: Db, private readonly settings: OidcConfig, private readonly baseUrl: string) {}

  get label(): string {
    return this.settings.label;
  }

  get redirectUri(): string {
    return `${this.baseUrl}/sign-in/oidc/callback`;
  }

  private config(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        { redirect_uris: [this.redirectUri], response_types: ['code'] },
        this.settings.clientSecret ? oidc.ClientSecretBasic(this.settings.clientSecret) : oidc.None(),
        this.settings.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        this.configuration = undefined;
        throw err;
      });
    return this.configuration;
  }

  async start(returnTo: string): Promise<string> {
    let config: oidc.Configuration;
    try {
      config = await this.config();
    } catch {
      throw new Problem(503, 'The national ID service cannot be reached right now. Try again later or sign in with a password.');
    }
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await identityDb(this.db)
      .insertInto('identity_oidc_flows')
      .values({ state_hash: sha256(state), code_verifier: verifier, nonce, return_to: returnTo, expires_at: new Date(Date.now() + FLOW_TTL_MINUTES * 60_000) })
      .execute();
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: this.redirectUri,
        scope: 'openid profile email',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
      .toString();
  }

  /** Finish the flow from the provider's redirect; returns where to send the browser. */
  async finish(request: FastifyRequest, reply: FastifyReply, sessions: SessionSettings): Promise<string> {
    const query = request.query as Record<string, string | undefined>;
    if (!query.state) throw Problem.invalidField('/query/state', 'is required');
    if (query.error) throw new Problem(401, `The national ID service refused the sign-in: ${query.error_description ?? query.error}.`);
    const flow = await sql<{ code_verifier: string; nonce: string; return_to: string }>`
      DELETE FROM identity_oidc_flows WHERE state_hash = ${sha256(query.state)} AND expires_at > now()
      RETURNING code_verifier, nonce, return_to`.execute(this.db);
    const pending = flow.rows[0];
    if (!pending) throw new Problem(400, 'This sign-in link has expired or was already used. Start again.', { errors: [{ pointer: '/query/state', reason: 'unknown or expired' }] });
    const config = await this.config();
    const currentUrl = new URL(request.url, this.baseUrl);
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: pending.code_verifier, expectedState: query.state, expectedNonce: pending.nonce, idTokenExpected: true });
      claims = tokens.claims()!;
      // Standard providers give profile claims (name, e-mail, national id) at userinfo, not in the ID token.
      if (tokens.access_token && config.serverMetadata().userinfo_endpoint) {
        const profile = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        claims = { ...profile, ...claims } as oidc.IDToken;
      }
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'OIDC code exchange failed');
      throw new Problem(401, 'The national ID service did not confirm who you are. Try again.');
    }
    const user = await this.linkOrCreate(claims);
    if (user.disabled_at) throw new Problem(403, 'This account is disabled.');
    await this.db.transaction().execute(async (trx) => {
      await startSession(trx, request, reply, user.id, sessions);
      await recordAudit(trx, { actor: { type: 'user', id: user.id, name: user.display_name }, action: 'identity.sign-in', subjectType: 'user', subjectId: user.id, requestId: request.id, details: { method: 'oidc', issuer: this.settings.issuer } });
    });
    return pending.return_to;
  }

  /** The account already linked to this subject, or a new citizen account made from the claims. */
  private async linkOrCreate(claims: oidc.IDToken): Promise<User> {
    const issuer = claims.iss;
    const subject = claims.sub;
    return this.db.transaction().execute(async (trx) => {
      const ids = identityDb(trx);
      const linked = await ids.selectFrom('identity_external_ids as x').innerJoin('identity_users as u', 'u.id', 'x.user_id').selectAll('u').where('x.issuer', '=', issuer).where('x.subject', '=', subject).executeTakeFirst();
      if (linked) return linked;
      const name = stringClaim(claims, 'name') ?? ([stringClaim(claims, 'given_name'), stringClaim(claims, 'family_name')].filter(Boolean).join(' ') || subject);
      // An address the provider has not verified could be anyone's; keeping it would let its owner reset this account.
      const email = claims.email_verified === true ? stringClaim(claims, 'email') : undefined;
      const nationalId = stringClaim(claims, 'individual_id') ?? stringClaim(claims, 'national_id');
      const existingParty = nationalId ? await ids.selectFrom('identity_parties').select('id').where('national_id', '=', nationalId).executeTakeFirst() : undefined;
      // The national ID proves who the person is: link their existing account rather than open a second one.
      const existingUser = existingParty ? await ids.selectFrom('identity_users').selectAll().where('party_id', '=', existingParty.id).orderBy('created_at').executeTakeFirst() : undefined;
      if (existingUser) {
        await ids.insertInto('identity_external_ids').values({ issuer, subject, user_id: existingUser.id }).execute();
        await recordAudit(trx, { actor: { type: 'user', id: existingUser.id, name: existingUser.display_name }, action: 'identity.link-external-id', subjectType: 'user', subjectId: existingUser.id, details: { issuer } });
        return existingUser;
      }
      const partyId = existingParty?.id ?? randomUUID();
      if (!existingParty) await ids.insertInto('identity_parties').values({ id: partyId, kind: 'person', name, national_id: nationalId ?? null, registration_number: null }).execute();
      const emailTaken = email !== undefined && (await ids.selectFrom('identity_users').select('id').where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst()) !== undefined;
      const user = await ids
        .insertInto('identity_users')
        .values({ id: randomUUID(), username: `id-${sha256(`${issuer}|${subject}`).slice(0, 16)}`, email: emailTaken ? null : (email ?? null), display_name: name, party_id: partyId, password_hash: null, locale: null, disabled_at: null, password_changed_at: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      await ids.insertInto('identity_external_ids').values({ issuer, subject, user_id: user.id }).execute();
      await recordAudit(trx, { actor: { type: 'user', id: user.id, name: user.display_name }, action: 'identity.create-user', subjectType: 'user', subjectId: user.id, details: { via: 'oidc', issuer } });
      return user;
    });
  }
}

function stringClaim(claims: oidc.IDToken, name: string): string | undefined {
  const value = (claims as Record<string, unknown>)[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
}
