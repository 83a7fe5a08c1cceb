import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import {
  changePassword,
  changePhone,
  endAllSessions,
  findUserById,
  endCurrentSession,
  listSessions,
  normaliseMobile,
  registerCitizen,
  requestPasswordReset,
  resetPassword,
  resetTokenIsValid,
  signInWithPassword,
  SIGN_IN_REFUSED,
  SIGN_IN_THROTTLED,
  type OidcSignIn,
  type SessionSettings,
} from '../../blocks/identity/index.ts';
import { CsrfField, ErrorSummary, Field, fieldErrors, FormText, translatedErrors, type FieldErrors } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { renderPage } from '../render.tsx';

const CsrfOnly = Type.Object({ _csrf: FormText(200) }, { additionalProperties: false });

/** Only same-site paths: never redirect to another site after sign-in. */
export function safeReturnPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && next.length < 500 ? next : '/account';
}

interface Deps {
  db: Db;
  jobs: JobQueue;
  sessions: SessionSettings;
  oidc: OidcSignIn | null;
}

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function problemMessage(ctx: PageContext, problem: Problem): string {
  if (problem.detail === SIGN_IN_REFUSED) return ctx.t('signIn.refused');
  if (problem.detail === SIGN_IN_THROTTLED || problem.status === 429) return ctx.t('signIn.throttled');
  return problem.detail;
}

function SignInPage({ ctx, next, username, message }: { ctx: PageContext; next: string; username?: string; message?: string | null }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('signIn.title')}</h1>
      <ErrorSummary ctx={ctx} message={message} errors={{}} labels={{}} />
      <form class="stack" method="post" action="/sign-in" novalidate>
        <CsrfField ctx={ctx} />
        <input type="hidden" name="next" value={next} />
        <Field name="username" label={t('signIn.username')} value={username} autocomplete="username" required maxLength={200} />
        <Field name="password" label={t('signIn.password')} type="password" autocomplete="current-password" required maxLength={200} />
        <div>
          <button type="submit">{t('signIn.submit')}</button>
        </div>
      </form>
      <p><a href="/password/forgot">{t('signIn.forgot')}</a></p>
      <p>{t('signIn.noAccount')} <a href="/register">{t('signIn.register')}</a></p>
      {ctx.oidcLabel && (
        <p>
          <a class="button secondary" href={`/sign-in/oidc?next=${encodeURIComponent(next)}`}>{t('signIn.withOidc', { provider: ctx.oidcLabel })}</a>
        </p>
      )}
    </>
  );
}

function RegisterPage({ ctx, values, errors, message }: { ctx: PageContext; values: Record<string, string>; errors: FieldErrors; message?: string | null }) {
  const { t } = ctx;
  const labels = { displayName: t('register.displayName'), username: t('register.username'), email: t('register.email'), phone: t('form.optional', { label: t('messaging.phone.label') }), password: t('register.password') };
  return (
    <>
      <h1>{t('register.title')}</h1>
      <p class="lead">{t('register.lead')}</p>
      <ErrorSummary ctx={ctx} message={message} errors={errors} labels={labels} />
      <form class="stack" method="post" action="/register" novalidate>
        <CsrfField ctx={ctx} />
        <Field name="displayName" label={labels.displayName} value={values.displayName} error={errors.displayName} autocomplete="name" required maxLength={120} />
        <Field name="username" label={labels.username} hint={t('register.usernameHint')} value={values.username} error={errors.username} autocomplete="username" required maxLength={60} />
        <Field name="email" label={labels.email} type="email" value={values.email} error={errors.email} autocomplete="email" required maxLength={200} />
        <Field name="phone" label={labels.phone} hint={t('messaging.phone.hint')} type="tel" inputMode="tel" value={values.phone} error={errors.phone} autocomplete="tel" maxLength={30} />
        <Field name="password" label={labels.password} hint={t('password.rule')} type="password" error={errors.password} autocomplete="new-password" required maxLength={200} />
        <div>
          <button type="submit">{t('register.submit')}</button>
        </div>
      </form>
    </>
  );
}

function PasswordChangePage({ ctx, errors, done }: { ctx: PageContext; errors: FieldErrors; done?: boolean }) {
  const { t } = ctx;
  const labels = { current: t('password.current'), password: t('password.new') };
  return (
    <>
      <h1>{t('password.changeTitle')}</h1>
      {done && <p class="notice" role="status">{t('password.changed')}</p>}
      <ErrorSummary ctx={ctx} errors={errors} labels={labels} />
      <form class="stack" method="post" action="/account/password" novalidate>
        <CsrfField ctx={ctx} />
        <Field name="current" label={labels.current} type="password" error={errors.current} autocomplete="current-password" required />
        <Field name="password" label={labels.password} hint={t('password.rule')} type="password" error={errors.password} autocomplete="new-password" required />
        <div>
          <button type="submit">{t('password.changeSubmit')}</button>
        </div>
      </form>
    </>
  );
}

function ForgotPage({ ctx, sent }: { ctx: PageContext; sent: boolean }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('password.forgotTitle')}</h1>
      {sent ? (
        <p class="notice" role="status">{t('password.forgotSent')}</p>
      ) : (
        <form class="stack" method="post" action="/password/forgot" novalidate>
          <CsrfField ctx={ctx} />
          <Field name="login" label={t('password.forgotLogin')} autocomplete="username" required maxLength={200} />
          <div>
            <button type="submit">{t('password.forgotSubmit')}</button>
          </div>
        </form>
      )}
    </>
  );
}

function ResetPage({ ctx, token, errors, valid }: { ctx: PageContext; token: string; errors: FieldErrors; valid: boolean }) {
  const { t } = ctx;
  if (!valid) {
    return (
      <>
        <h1>{t('password.resetTitle')}</h1>
        <p class="error-summary" role="alert">{t('password.resetExpired')}</p>
        <p><a href="/password/forgot">{t('password.forgotTitle')}</a></p>
      </>
    );
  }
  return (
    <>
      <h1>{t('password.resetTitle')}</h1>
      <ErrorSummary ctx={ctx} errors={errors} labels={{ password: t('password.new') }} />
      <form class="stack" method="post" action="/password/reset" novalidate>
        <CsrfField ctx={ctx} />
        <input type="hidden" name="token" value={token} />
        <Field name="password" label={t('password.new')} hint={t('password.rule')} type="password" error={errors.password} autocomplete="new-password" required />
        <div>
          <button type="submit">{t('password.resetSubmit')}</button>
        </div>
      </form>
    </>
  );
}

interface SessionRow {
  id_hash: string;
  created_at: Date;
  last_seen_at: Date;
  ip: string | null;
  user_agent: string | null;
}

/** The mobile number text messages go to: shown, changed or removed with one small form. */
function PhoneForm({ ctx, phone, error }: { ctx: PageContext; phone: string; error?: string }) {
  const { t } = ctx;
  return (
    <form class="stack" method="post" action="/account/phone" novalidate>
      <CsrfField ctx={ctx} />
      <Field name="phone" label={t('messaging.phone.label')} hint={t('messaging.phone.hint')} type="tel" inputMode="tel" value={phone} error={error} autocomplete="tel" maxLength={30} />
      <div>
        <button class="secondary" type="submit">{t('messaging.phone.save')}</button>
      </div>
    </form>
  );
}

function AccountPage({ ctx, sessions, notice, phone }: { ctx: PageContext; sessions: SessionRow[]; notice?: string | null; phone?: { value: string; error?: string } }) {
  const { t, principal } = ctx;
  if (!principal) return null;
  return (
    <>
      <h1>{t('account.title')}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <dl>
        <dt>{t('account.name')}</dt>
        <dd>{principal.displayName}</dd>
        <dt>{t('account.roles')}</dt>
        <dd>{principal.roles.length === 0 ? t('account.noRoles') : principal.roles.map((r) => r.role).join(', ')}</dd>
      </dl>
      <ul>
        <li><a href="/account/password">{t('password.changeTitle')}</a></li>
        {principal.partyId && (
          <>
            <li><a href="/account/data-use">{t('consent.dataUse.title')}</a></li>
            <li><a href="/account/consents">{t('consent.title')}</a></li>
          </>
        )}
      </ul>
      {phone && (
        <>
          <h2>{t('messaging.phone.title')}</h2>
          <ErrorSummary ctx={ctx} errors={phone.error ? { phone: phone.error } : {}} labels={{ phone: t('messaging.phone.label') }} />
          <PhoneForm ctx={ctx} phone={phone.value} error={phone.error} />
        </>
      )}
      <h2>{t('account.sessions')}</h2>
      <TableRegion label={t('account.sessions')}>
        <table>
          <caption class="muted">{t('account.sessionsCaption', { count: sessions.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('account.started')}</th>
              <th scope="col">{t('account.lastSeen')}</th>
              <th scope="col">{t('account.device')}</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr>
                <td>{formatDateTime(ctx.locale, s.created_at)}{s.id_hash === principal.sessionId && <> <span class="tag">{t('account.thisSession')}</span></>}</td>
                <td>{formatDateTime(ctx.locale, s.last_seen_at)}</td>
                <td><bdi>{`${s.user_agent ?? ''} ${s.ip ? `(${s.ip})` : ''}`}</bdi></td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <form method="post" action="/account/sign-out-everywhere">
        <CsrfField ctx={ctx} />
        <p><button class="secondary" type="submit">{t('account.signOutEverywhere')}</button></p>
      </form>
    </>
  );
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Sign-in, registration, account, password change and reset: the pages a person uses to get in. */
export function accountPages({ db, jobs, sessions, oidc }: Deps) {
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, oidc?.label ?? null);

    app.get('/sign-in', {
      config: { access: access.public },
      schema: { summary: 'Sign-in page', tags: ['web'], querystring: Type.Object({ next: FormText(500), lang: FormText(5) }) },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        if (ctx.principal) return reply.redirect(safeReturnPath(request.query.next), 303);
        return html(reply, 200, renderPage(ctx, { title: ctx.t('signIn.title'), body: <SignInPage ctx={ctx} next={safeReturnPath(request.query.next)} /> }));
      },
    });

    app.post('/sign-in', {
      config: { access: access.public },
      schema: { summary: 'Sign in (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), username: FormText(200), password: FormText(200), next: FormText(500) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const next = safeReturnPath(request.body.next);
        try {
          await signInWithPassword(db, request, reply, sessions, request.body.username ?? '', request.body.password ?? '');
          return reply.redirect(next, 303);
        } catch (err) {
          if (!(err instanceof Problem) || err.status >= 500) throw err;
          const ctx = ctxOf(request, reply);
          for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
          return html(reply, err.status, renderPage(ctx, { title: ctx.t('signIn.title'), body: <SignInPage ctx={ctx} next={next} username={request.body.username} message={problemMessage(ctx, err)} /> }));
        }
      },
    });

    app.post('/sign-out', {
      config: { access: access.public },
      schema: { summary: 'Sign out (form)', tags: ['web'], body: CsrfOnly },
      handler: async (request, reply) => {
        await endCurrentSession(db, request, reply, sessions);
        return reply.redirect('/', 303);
      },
    });

    if (oidc) {
      app.get('/sign-in/oidc', {
        config: { access: access.public },
        schema: { summary: 'Start signing in with the national digital ID (OpenID Connect)', tags: ['web'], querystring: Type.Object({ next: FormText(500) }, { additionalProperties: false }) },
        handler: async (request, reply) => reply.redirect(await oidc.start(safeReturnPath(request.query.next)), 303),
      });
      app.get('/sign-in/oidc/callback', {
        config: { access: access.public },
        schema: {
          summary: 'Return from the national digital ID provider',
          tags: ['web'],
          querystring: Type.Object({ code: FormText(2000), state: FormText(200), iss: FormText(500), error: FormText(200), error_description: FormText(500), session_state: FormText(500) }, { additionalProperties: false }),
        },
        handler: async (request, reply) => reply.redirect(safeReturnPath(await oidc.finish(request, reply, sessions)), 303),
      });
    }

    app.get('/register', {
      config: { access: access.public },
      schema: { summary: 'Open a citizen account', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        return html(reply, 200, renderPage(ctx, { title: ctx.t('register.title'), body: <RegisterPage ctx={ctx} values={{}} errors={{}} /> }));
      },
    });

    app.post('/register', {
      config: { access: access.public },
      schema: { summary: 'Open a citizen account (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), displayName: FormText(200), username: FormText(200), email: FormText(200), phone: FormText(30), password: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const b = request.body;
        const values = { displayName: b.displayName ?? '', username: b.username ?? '', email: b.email ?? '', phone: b.phone ?? '' };
        const ctx = ctxOf(request, reply);
        const errors: FieldErrors = {};
        if (!values.displayName.trim()) errors.displayName = ctx.t('form.required');
        if (!/^[A-Za-z0-9._@-]{3,60}$/.test(values.username)) errors.username = ctx.t('register.usernameHint');
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) errors.email = ctx.t('register.emailInvalid');
        if (values.phone.trim() && !normaliseMobile(values.phone)) errors.phone = ctx.t('form.errors.phone');
        if (!b.password) errors.password = ctx.t('form.required');
        if (Object.keys(errors).length === 0) {
          try {
            await registerCitizen(db, { ...values, displayName: values.displayName.trim(), password: b.password!, locale: ctx.locale }, request.ip, request.id);
            await signInWithPassword(db, request, reply, sessions, values.username, b.password!);
            return reply.redirect('/account', 303);
          } catch (err) {
            if (!(err instanceof Problem) || err.status >= 500) throw err;
            Object.assign(errors, fieldErrors(err.errors));
            if (!err.errors) errors.form = problemMessage(ctx, err);
          }
        }
        return html(reply, 400, renderPage(ctx, { title: ctx.t('register.title'), body: <RegisterPage ctx={ctx} values={values} errors={errors} message={errors.form} /> }));
      },
    });

    app.get('/account', {
      config: { access: access.signedIn },
      schema: { summary: 'My account: profile and sessions', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const principal = requirePrincipal(request);
        const list = principal.kind === 'user' ? await listSessions(db, principal.id) : [];
        const user = principal.kind === 'user' ? await findUserById(db, principal.id) : undefined;
        const done = ctx.search.get('done');
        const notice = done === 'signed-out-elsewhere' ? ctx.t('account.signedOutElsewhere') : done === 'phone' ? ctx.t('messaging.phone.saved') : null;
        const phone = user ? { value: user.phone ?? '' } : undefined;
        return html(reply, 200, renderPage(ctx, { title: ctx.t('account.title'), body: <AccountPage ctx={ctx} sessions={list} notice={notice} phone={phone} /> }));
      },
    });

    app.post('/account/phone', {
      config: { access: access.signedIn },
      schema: { summary: 'Set or remove my mobile number for text messages (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), phone: FormText(30) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        if (principal.kind !== 'user') throw Problem.forbidden('Only a person has a mobile number.');
        try {
          await changePhone(db, principal.id, request.body.phone ?? '', { principal, requestId: request.id });
          return reply.redirect('/account?done=phone', 303);
        } catch (err) {
          if (!(err instanceof Problem) || err.status !== 400) throw err;
          const ctx = ctxOf(request, reply);
          const error = translatedErrors(ctx, err.errors).phone ?? err.detail;
          const list = await listSessions(db, principal.id);
          return html(reply, 400, renderPage(ctx, { title: ctx.t('account.title'), body: <AccountPage ctx={ctx} sessions={list} phone={{ value: request.body.phone ?? '', error }} /> }));
        }
      },
    });

    app.post('/account/sign-out-everywhere', {
      config: { access: access.signedIn },
      schema: { summary: 'Sign out of every other session (form)', tags: ['web'], body: CsrfOnly },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        await endAllSessions(db, principal.id, principal.sessionId ?? undefined);
        return reply.redirect('/account?done=signed-out-elsewhere', 303);
      },
    });

    app.get('/account/password', {
      config: { access: access.signedIn },
      schema: { summary: 'Change password page', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        return html(reply, 200, renderPage(ctx, { title: ctx.t('password.changeTitle'), body: <PasswordChangePage ctx={ctx} errors={{}} done={ctx.search.has('done')} /> }));
      },
    });

    app.post('/account/password', {
      config: { access: access.signedIn },
      schema: { summary: 'Change password (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), current: FormText(200), password: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        try {
          await changePassword(db, { userId: principal.id, sessionIdHash: principal.sessionId, requestId: request.id }, request.body.current ?? '', request.body.password ?? '');
          return reply.redirect('/account/password?done=1', 303);
        } catch (err) {
          if (!(err instanceof Problem) || err.status >= 500) throw err;
          const ctx = ctxOf(request, reply);
          const errors = err.errors ? fieldErrors(err.errors) : { password: problemMessage(ctx, err) };
          return html(reply, err.status, renderPage(ctx, { title: ctx.t('password.changeTitle'), body: <PasswordChangePage ctx={ctx} errors={errors} /> }));
        }
      },
    });

    app.get('/password/forgot', {
      config: { access: access.public },
      schema: { summary: 'Forgotten password page', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        return html(reply, 200, renderPage(ctx, { title: ctx.t('password.forgotTitle'), body: <ForgotPage ctx={ctx} sent={false} /> }));
      },
    });

    app.post('/password/forgot', {
      config: { access: access.public },
      schema: { summary: 'Ask for a reset link (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), login: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const login = field(request.body, 'login').trim();
        if (login) await requestPasswordReset(db, jobs, login, request.ip, request.id);
        const ctx = ctxOf(request, reply);
        return html(reply, 200, renderPage(ctx, { title: ctx.t('password.forgotTitle'), body: <ForgotPage ctx={ctx} sent={true} /> }));
      },
    });

    app.get('/password/reset', {
      config: { access: access.public },
      schema: { summary: 'Choose a new password from a reset link', tags: ['web'], querystring: Type.Object({ token: FormText(100), lang: FormText(5) }) },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const token = request.query.token ?? '';
        // The token is in the address; keep it out of Referer headers sent to any other page.
        reply.header('referrer-policy', 'no-referrer');
        const valid = /^[A-Za-z0-9_-]{20,100}$/.test(token) && (await resetTokenIsValid(db, token));
        return html(reply, valid ? 200 : 400, renderPage(ctx, { title: ctx.t('password.resetTitle'), body: <ResetPage ctx={ctx} token={token} errors={{}} valid={valid} /> }));
      },
    });

    app.post('/password/reset', {
      config: { access: access.public },
      schema: { summary: 'Set a new password (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), token: FormText(100), password: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const token = request.body.token ?? '';
        try {
          await resetPassword(db, token, request.body.password ?? '', request.id);
          return reply.redirect('/sign-in?reset=1', 303);
        } catch (err) {
          if (!(err instanceof Problem) || err.status >= 500) throw err;
          const ctx = ctxOf(request, reply);
          const expired = err.errors?.some((e) => e.pointer === '/body/token') ?? false;
          return html(reply, 400, renderPage(ctx, { title: ctx.t('password.resetTitle'), body: <ResetPage ctx={ctx} token={token} errors={fieldErrors(err.errors)} valid={!expired} /> }));
        }
      },
    });
  };
}
