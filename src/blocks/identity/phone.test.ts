/**
 * An account's optional mobile number, where text messages go: given when opening an account
 * or later on the account page, kept in E.164 whatever way it was typed, refused when it is not an
 * international number, and every change audited without the number itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { registerCitizen, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, openForm, postForm } from '../../../test/support/http.ts';
import { createUser } from './accounts.ts';
import { normaliseMobile } from './phone.ts';
import { findUserByContact, findUserById, findUserByLogin } from './store.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

const PASSWORD = 'a long enough passphrase';

describe('normaliseMobile', () => {
  it('keeps an international number in E.164, however it was typed', () => {
    for (const typed of ['+253 77 12 34 56', '+253-77-12-34-56', '00253 77 12 34 56', '(+253) 77.12.34.56', ' +25377123456 ']) {
      assert.equal(normaliseMobile(typed), '+25377123456', typed);
    }
  });

  it('refuses a number without a country code, or one that cannot be a phone number', () => {
    for (const typed of ['77 12 34 56', '+0 77 12 34 56', '+253 77', '+253 77 12 34 56 78 90 12', '+253 77 12 34 5x', 'call me', '']) {
      assert.equal(normaliseMobile(typed), null, typed);
    }
  });
});

describe('opening an account with a mobile number', () => {
  it('keeps the number given on the registration form', async () => {
    const { jar, csrf } = await openForm(app, '/register');
    const response = await postForm(app, jar, '/register', { _csrf: csrf, displayName: 'Hawa Daher', username: 'hawa', email: 'hawa@example.org', phone: '+253 77 12 34 56', password: PASSWORD });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal((await findUserByLogin(app.database.db, 'hawa'))?.phone, '+25377123456');
  });

  it('opens the account without one when the field is left empty', async () => {
    const { jar, csrf } = await openForm(app, '/register');
    const response = await postForm(app, jar, '/register', { _csrf: csrf, displayName: 'Ali Omar', username: 'ali.omar', email: 'ali@example.org', phone: '', password: PASSWORD });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal((await findUserByLogin(app.database.db, 'ali.omar'))?.phone, null);
  });

  it('shows the form again, pointing at the number, when it is not an international number', async () => {
    const { jar, csrf } = await openForm(app, '/register');
    const response = await postForm(app, jar, '/register', { _csrf: csrf, displayName: 'Idil Farah', username: 'idil', email: 'idil@example.org', phone: '77 12 34 56', password: PASSWORD });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('href="#phone"'), 'the error summary links to the field');
    assert.equal(await findUserByLogin(app.database.db, 'idil'), undefined);
  });

  it('takes it through the JSON API too, and refuses a bad one there with a problem pointing at it', async () => {
    const ok = await app.app.inject({ method: 'POST', url: '/api/identity/registrations', payload: { username: 'samira', displayName: 'Samira Ali', email: 'samira@example.org', phone: '0025377654321', password: PASSWORD } });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal((await findUserById(app.database.db, ok.json<{ id: string }>().id))?.phone, '+25377654321');
    const bad = assertProblem(await app.app.inject({ method: 'POST', url: '/api/identity/registrations', payload: { username: 'yonis', displayName: 'Yonis Ali', email: 'yonis@example.org', phone: '12', password: PASSWORD } }), 400);
    assert.deepEqual(bad.errors?.map((e) => e.pointer), ['/body/phone']);
    assert.equal(await findUserByLogin(app.database.db, 'yonis'), undefined);
  });
});

describe('the mobile number on the account page', () => {
  it('is set, changed and removed with a small form, each change audited without the number', async () => {
    const session = await registerCitizen(app, 'kadar', 'Kadar Abdi');
    const id = (await findUserByLogin(app.database.db, 'kadar'))!.id;
    const page = await app.app.inject({ method: 'GET', url: '/account', headers: { cookie: session.cookie() } });
    assert.ok(page.body.includes('action="/account/phone"'));

    const post = (phone: string) => postForm(app, session.jar, '/account/phone', { _csrf: session.csrf, phone });
    const set = await post('+253 77 11 22 33');
    assert.equal(set.statusCode, 303);
    assert.equal(set.headers.location, '/account?done=phone');
    assert.equal((await findUserById(app.database.db, id))?.phone, '+25377112233');
    const shown = await app.app.inject({ method: 'GET', url: '/account?done=phone', headers: { cookie: session.cookie() } });
    assert.ok(shown.body.includes('value="+25377112233"'));

    assert.equal((await post('')).statusCode, 303);
    assert.equal((await findUserById(app.database.db, id))?.phone, null);

    const audit = await sql<{ details: { phone: string } }>`SELECT details FROM audit_entries WHERE action = 'identity.change-phone' AND subject_id = ${id} ORDER BY id`.execute(app.database.db);
    assert.deepEqual(audit.rows.map((r) => r.details.phone), ['set', 'removed']);
  });

  it('shows the form again with the error when the number is not an international one, changing nothing', async () => {
    const session = await registerCitizen(app, 'fardoussa', 'Fardoussa Said');
    const response = await postForm(app, session.jar, '/account/phone', { _csrf: session.csrf, phone: '77 11 22 33' });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('aria-invalid="true"') && response.body.includes('href="#phone"'));
    assert.equal((await findUserByLogin(app.database.db, 'fardoussa'))?.phone, null);
  });

  it('refuses a change without the form’s token', async () => {
    const session = await registerCitizen(app, 'nasra', 'Nasra Elmi');
    const response = await app.app.inject({ method: 'POST', url: '/account/phone', headers: { cookie: session.cookie(), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'phone=%2B25377000111' });
    assertProblem(response, 403);
    assert.equal((await findUserByLogin(app.database.db, 'nasra'))?.phone, null);
  });
});

describe('finding the account a message goes to', () => {
  it('finds it by e-mail address, or by a phone number only one account has', async () => {
    const db = app.database.db;
    const one = await createUser(db, { username: 'single.phone', displayName: 'One', email: 'One@Example.org', phone: '+25377300001' });
    await createUser(db, { username: 'family.a', displayName: 'A', phone: '+25377300002' });
    await createUser(db, { username: 'family.b', displayName: 'B', phone: '+25377300002' });
    assert.equal((await findUserByContact(db, 'email', 'one@example.org'))?.id, one.id);
    assert.equal((await findUserByContact(db, 'sms', '+25377300001'))?.id, one.id);
    assert.equal(await findUserByContact(db, 'sms', '+25377300002'), undefined, 'a shared phone is nobody’s alone');
  });
});
