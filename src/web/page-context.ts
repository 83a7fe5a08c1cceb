import type { FastifyReply, FastifyRequest } from 'fastify';
import { directionOf, isLocale, negotiateLocale, translator, type Locale, type Translate } from '../platform/i18n/index.ts';
import type { Principal } from '../platform/http/access.ts';

export const LOCALE_COOKIE = 'daftari_lang';

/** What every page needs to render: who is looking, in which language, and a form token. */
export interface PageContext {
  locale: Locale;
  dir: 'ltr' | 'rtl';
  t: Translate;
  principal: Principal | null;
  csrfToken: string;
  /** Path and query of this page, for language links and "return here" after sign-in. */
  path: string;
  search: URLSearchParams;
  oidcLabel: string | null;
}

/**
 * The locale is, in order: a `?lang=` link just followed (remembered in a cookie), the cookie,
 * the signed-in person's saved preference, then the browser's Accept-Language.
 */
export function resolveLocale(request: FastifyRequest, reply: FastifyReply | null): Locale {
  const requested = (request.query as Record<string, unknown> | undefined)?.lang;
  if (isLocale(requested)) {
    reply?.setCookie(LOCALE_COOKIE, requested, { path: '/', maxAge: 365 * 86400, sameSite: 'lax', httpOnly: true });
    return requested;
  }
  const remembered = request.cookies?.[LOCALE_COOKIE];
  if (isLocale(remembered)) return remembered;
  if (isLocale(request.principal?.locale)) return request.principal.locale;
  return negotiateLocale(request.headers['accept-language']);
}

export function pageContext(request: FastifyRequest, reply: FastifyReply, oidcLabel: string | null): PageContext {
  const locale = resolveLocale(request, reply);
  const url = new URL(request.url, 'http://local');
  return {
    locale,
    dir: directionOf(locale),
    t: translator(locale),
    principal: request.principal,
    csrfToken: reply.generateCsrf(),
    path: url.pathname,
    search: url.searchParams,
    oidcLabel,
  };
}
