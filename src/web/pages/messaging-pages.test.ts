/**
 * What the messaging pages show: each message with its delivery log in the outbox, filters and
 * pages of older messages for an administrator, why each failed message failed, and the
 * delivery log officers see on a case (the DeliveryLog component).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { findUserByLogin } from '../../blocks/identity/index.ts';
import { messagesAbout } from '../../blocks/messaging/index.ts';
import { translator } from '../../platform/i18n/index.ts';
import { DeliveryLog } from '../components/delivery-log.tsx';
import type { PageContext } from '../page-context.ts';

let app: TestApp;
let amina: Session;
let admin: Session;
let aminaEmail: string;

before(async () => {
  app = await startTestApp();
  [amina, admin] = await signInDemo(app, 'amina', 'admin');
  const db = app.database.db;
  const user = (await findUserByLogin(db, 'amina'))!;
  aminaEmail = user.email!;
  await app.messenger.queue(db, { channel: 'email', to: aminaEmail, locale: 'fr', subject: 'Votre demande est reçue', body: 'Bonjour Amina,\nvotre demande est reçue.', template: 'business-licence.received', about: { type: 'application', id: 'case-1' } });
  // No gateway is configured here: the text fails, saying so.
  await app.messenger.queue(db, { channel: 'sms', to: '+25377123456', userId: user.id, locale: 'fr', body: 'Votre licence est accordée.', template: 'business-licence.granted', about: { type: 'application', id: 'case-1' } });
  await app.jobs.drain();
});
after(() => app.stop());

const get = (session: Session, url: string) => app.app.inject({ method: 'GET', url, headers: { cookie: session.cookie(), 'accept-language': 'en' } });

describe('the outbox', () => {
  it('shows a person each of their messages, its text in its own language, and what happened to it', async () => {
    const page = await get(amina, '/outbox?lang=en');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h2[^>]*lang="fr"[^>]*>Votre demande est reçue<\/h2>/);
    assert.match(page.body, /<div class="message-body" lang="fr" dir="auto">Bonjour Amina,\nvotre demande est reçue.<\/div>/);
    assert.ok(page.body.includes(aminaEmail), 'her own address, in full');
    assert.ok(page.body.includes('Accepted by the mail server or SMS gateway'));
    assert.ok(page.body.includes('no SMS gateway configured'), 'why the text failed');
    assert.equal(page.headers['cache-control'], 'no-store');
  });

  it('lets an administrator filter by channel and status', async () => {
    const texts = await get(admin, '/outbox?channel=sms&status=failed');
    assert.ok(texts.body.includes('Votre licence est accordée.'));
    assert.ok(!texts.body.includes('Votre demande est reçue'));
    assert.ok(!texts.body.includes('+25377123456'), 'another person’s number, masked');
    assert.ok(texts.body.includes('+253••••••56'));
    const none = await get(admin, '/outbox?channel=email&status=failed');
    assert.ok(none.body.includes('There are no messages to show.'));
  });

  it('pages through older messages', async () => {
    const db = app.database.db;
    for (let i = 1; i <= 21; i++) await app.messenger.queue(db, { channel: 'email', to: `reader${i}@example.org`, locale: 'en', subject: `Newsletter ${i}`, body: 'News.' });
    const first = await get(admin, '/outbox?channel=email');
    const older = /href="(\/outbox\?channel=email&amp;before=[0-9a-f-]+)"/.exec(first.body)?.[1];
    assert.ok(older, 'a link to older messages');
    assert.ok(first.body.includes('Newsletter 21') && !first.body.includes('Newsletter 1<'));
    const second = await get(admin, older.replace(/&amp;/g, '&'));
    assert.ok(second.body.includes('Newsletter 1<') && !second.body.includes('Newsletter 21'));
  });
});

describe('the failed-messages list', () => {
  it('shows each failed message with why it failed, and counts messages by status', async () => {
    const page = await get(admin, '/admin/messages');
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('No SMS gateway is configured'));
    assert.match(page.body, /aria-label="Send again: the message to \+253••••••56"/);
    assert.match(page.body, /href="\/outbox\?status=failed">Failed<\/a>: <strong>1<\/strong>/);
  });
});

describe('the delivery log on a case', () => {
  const ctx = (locale: 'en' | 'ar'): PageContext => ({ locale, dir: locale === 'ar' ? 'rtl' : 'ltr', t: translator(locale), principal: null, csrfToken: '', path: '/', search: new URLSearchParams(), oidcLabel: null });

  it('lists the messages about the case, recipients masked, with their status', async () => {
    const html = renderToString(h(DeliveryLog, { ctx: ctx('en'), messages: await messagesAbout(app.database.db, 'application', 'case-1') }));
    assert.ok(!html.includes(aminaEmail) && html.includes(`a•••@${aminaEmail.split('@')[1]}`));
    assert.ok(html.includes('+253••••••56'));
    assert.ok(html.includes('<code>business-licence.received</code>') && html.includes('>Sent<') && html.includes('>Failed<'));
  });

  it('says so when nothing was sent', () => {
    assert.ok(renderToString(h(DeliveryLog, { ctx: ctx('ar'), messages: [] })).includes('لم تُرسل أي رسالة بشأن هذا بعد.'));
  });
});
