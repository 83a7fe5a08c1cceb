import type { ComponentChildren } from 'preact';
import { LOCALE_NAMES, SHIPPED_LOCALES } from '../platform/i18n/index.ts';
import { hasAnyRole } from '../platform/http/access.ts';
import { AUDIT_READERS } from '../blocks/audit/index.ts';
import { CABINET_ROLES } from '../usecases/ecabinet/index.ts';
import { stylesheet } from './assets.ts';
import type { PageContext } from './page-context.ts';

function languageHref(ctx: PageContext, locale: string): string {
  const search = new URLSearchParams(ctx.search);
  search.set('lang', locale);
  return `${ctx.path}?${search.toString()}`;
}

export function Layout({ ctx, title, head, children }: { ctx: PageContext; title: string; head?: ComponentChildren; children: ComponentChildren }) {
  const { t, principal } = ctx;
  return (
    <html lang={ctx.locale} dir={ctx.dir}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${t('app.name')}`}</title>
        <link rel="stylesheet" href={stylesheet.url} />
        {head}
      </head>
      <body>
        <a class="skip" href="#main">{t('layout.skip')}</a>
        <header class="top">
          <div class="bar">
            <a class="brand" href="/">{t('app.name')}</a>
            <nav aria-label={t('layout.navLabel')}>
              <ul>
                <li><a href="/services">{t('nav.services')}</a></li>
                {hasAnyRole(principal, ['citizen']) && <li><a href="/applications">{t('nav.applications')}</a></li>}
                {hasAnyRole(principal, ['officer', 'agency-head', 'admin']) && <li><a href="/work">{t('nav.work')}</a></li>}
                {hasAnyRole(principal, ['agent']) && <li><a href="/assist">{t('nav.assist')}</a></li>}
                {hasAnyRole(principal, ['officer', 'agency-head', 'admin']) && <li><a href="/agency/performance">{t('nav.performance')}</a></li>}
                {hasAnyRole(principal, ['admin', 'agency-head']) && <li><a href="/admin/catalogue">{t('nav.catalogueAdmin')}</a></li>}
                {hasAnyRole(principal, ['admin', 'agency-head', 'officer']) && <li><a href="/admin/registries">{t('nav.registries')}</a></li>}
                {hasAnyRole(principal, AUDIT_READERS) && <li><a href="/admin/audit">{t('nav.audit')}</a></li>}
                {hasAnyRole(principal, ['cashier', 'finance-officer', 'agency-head', 'auditor']) && <li><a href="/payments">{t('nav.payments')}</a></li>}
                {hasAnyRole(principal, [...CABINET_ROLES, 'admin']) && <li><a href="/cabinet">{t('nav.cabinet')}</a></li>}
                {hasAnyRole(principal, ['admin']) && <li><a href="/admin/jobs">{t('nav.jobs')}</a></li>}
                {principal ? (
                  <>
                    <li><a href="/outbox">{t('nav.messages')}</a></li>
                    <li><a href="/account">{t('nav.account')}</a></li>
                    <li>
                      <form class="inline" method="post" action="/sign-out">
                        <input type="hidden" name="_csrf" value={ctx.csrfToken} />
                        <button class="link" type="submit">{t('nav.signOut')}</button>
                      </form>
                    </li>
                  </>
                ) : (
                  <li><a href={`/sign-in?next=${encodeURIComponent(ctx.path)}`}>{t('nav.signIn')}</a></li>
                )}
              </ul>
            </nav>
            <ul class="langs" aria-label={t('layout.languages')}>
              {SHIPPED_LOCALES.map((locale) => (
                <li>
                  <a href={languageHref(ctx, locale)} lang={locale} hrefLang={locale} aria-current={locale === ctx.locale ? 'true' : undefined}>
                    {LOCALE_NAMES[locale]}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
        <footer>
          <div>
            {t('layout.footer')} · <a href="/performance">{t('nav.publicPerformance')}</a> · <a href="/api">{t('nav.api')}</a>
          </div>
        </footer>
      </body>
    </html>
  );
}
