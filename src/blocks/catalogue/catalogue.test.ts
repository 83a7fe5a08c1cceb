import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, signIn, startTestApp, DEMO_PASSWORD, type Session, type TestApp } from '../../../test/support/app.ts';

let app: TestApp;
let admin: Session;
let head: Session;
let officer: Session;
let citizen: Session;

before(async () => {
  app = await startTestApp();
  [admin, head, officer, citizen] = await Promise.all([
    signIn(app, 'admin', DEMO_PASSWORD),
    signIn(app, 'head.urban', DEMO_PASSWORD),
    signIn(app, 'officer.permits', DEMO_PASSWORD),
    signIn(app, 'amina', DEMO_PASSWORD),
  ]);
});
after(() => app.stop());

async function search(query: string) {
  const response = await app.app.inject({ method: 'GET', url: `/api/catalogue/services?${query}` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as { total: number; services: { code: string; agency: string; status: string }[]; next: string | null };
}

const HEADER = 'code,agency,status,channels,life_events,time_limit_days,title_en,title_fr';

async function importCsv(csv: string) {
  const accepted = await app.app.inject({ method: 'POST', url: '/api/catalogue/imports?fileName=test.csv', headers: { ...asSession(admin), 'content-type': 'text/csv' }, payload: csv });
  assert.equal(accepted.statusCode, 202, accepted.body);
  const { id } = accepted.json() as { id: string };
  await app.jobs.drain();
  const status = await app.app.inject({ method: 'GET', url: `/api/catalogue/imports/${id}`, headers: asSession(admin) });
  return status.json() as { state: string; totalRows: number; processedRows: number; errors: { line: number; column: string; reason: string }[] };
}

describe('the register of public services', () => {
  it('finds services by words in any shipped language, by the start of a word', async () => {
    assert.ok((await search('q=construction')).services.some((s) => s.code === 'construction-permit'));
    assert.ok((await search('q=permis%20constr')).services.some((s) => s.code === 'construction-permit'));
    assert.ok((await search(`q=${encodeURIComponent('رخصة البناء')}`)).services.some((s) => s.code === 'construction-permit'));
    assert.equal((await search('q=zzzznothing')).total, 0);
  });

  it('filters by agency, life event and digitisation status, and pages by code', async () => {
    const byAgency = await search('agency=civil-registry');
    assert.ok(byAgency.total >= 3);
    assert.ok(byAgency.services.every((s) => s.agency === 'civil-registry'));
    const births = await search('lifeEvent=birth');
    assert.ok(births.services.some((s) => s.code === 'birth-certificate-copy'));
    const paper = await search('status=paper');
    assert.ok(paper.services.every((s) => s.status === 'paper'));
    const first = await search('limit=5');
    assert.equal(first.services.length, 5);
    const second = await search(`limit=5&after=${first.next}`);
    assert.ok(second.services[0]!.code > first.services[4]!.code);
  });

  it('treats search words as words, never as query syntax', async () => {
    for (const q of ["a'b", 'a & | ! :*', '(((', '\\', 'العربية:*']) {
      await search(`q=${encodeURIComponent(q)}`);
    }
  });

  it('publishes the register as open data that the import accepts unchanged', async () => {
    const csv = await app.app.inject({ method: 'GET', url: '/api/catalogue/export.csv' });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const json = await app.app.inject({ method: 'GET', url: '/api/catalogue/export.json' });
    const services = (json.json() as { services: unknown[] }).services;
    assert.equal(csv.body.trim().split('\n').length >= services.length + 1, true);
    const result = await importCsv(csv.body);
    assert.equal(result.state, 'done', JSON.stringify(result.errors));
    assert.equal(result.processedRows, services.length);
    const again = (await app.app.inject({ method: 'GET', url: '/api/catalogue/export.json' })).json() as { services: { code: string; titles: unknown }[] };
    assert.deepEqual(again.services.map((s) => [s.code, s.titles]), (services as { code: string; titles: unknown }[]).map((s) => [s.code, s.titles]));
  });

  it('counts services per agency in each digitisation status', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/api/catalogue/digitisation' });
    const rows = response.json() as { agency: string; paper: number; 'fully-online': number }[];
    const registry = rows.find((r) => r.agency === 'civil-registry');
    assert.ok(registry && registry.paper >= 2 && registry['fully-online'] >= 1);
  });
});

describe('importing services from CSV', () => {
  it('imports hundreds of services in one go and reports progress to the end', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `bulk-service-${String(i).padStart(3, '0')},urban,paper,office,property,30,Bulk service ${i},Service ${i}`);
    const result = await importCsv([HEADER, ...lines].join('\n'));
    assert.equal(result.state, 'done', JSON.stringify(result.errors));
    assert.equal(result.totalRows, 300);
    assert.equal(result.processedRows, 300);
    assert.equal((await search('q=bulk&limit=200')).total, 300);
  });

  it('names every bad row and column, and imports nothing when any row is wrong', async () => {
    const csv = [
      HEADER,
      'good-one,urban,paper,office,property,30,Good one,Bon',
      'Bad Code,urban,paper,office,property,30,Bad,Mauvais',
      'no-agency,ministry-of-nothing,paper,office,property,30,No agency,Aucune',
      'bad-status,urban,digital,office,property,thirty,Bad status,Statut',
      'online-without-channel,urban,fully-online,office,property,5,X,X',
      'good-one,urban,paper,office,unknown-event,30,Duplicate,Doublon',
    ].join('\n');
    const result = await importCsv(csv);
    assert.equal(result.state, 'failed');
    const found = result.errors.map((e) => `${e.line}:${e.column}`);
    for (const expected of ['3:code', '4:agency', '5:status', '5:time_limit_days', '6:channels', '7:code', '7:life_events']) {
      assert.ok(found.includes(expected), `expected a problem at ${expected}, got ${found.join(' ')}`);
    }
    assert.equal((await search('q=good')).total, 0, 'nothing was written');
  });

  it('refuses files with unknown or missing columns before reading rows', async () => {
    const result = await importCsv('code,agency,colour\nx,urban,red');
    assert.equal(result.state, 'failed');
    assert.deepEqual(result.errors.map((e) => e.column).sort(), ['colour', 'status', 'title_*']);
  });

  it('accepts an upload from the admin page without JavaScript and shows a progress page', async () => {
    const page = await app.app.inject({ method: 'GET', url: '/admin/catalogue', headers: { cookie: admin.cookie() } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /enctype="multipart\/form-data"/);
    const boundary = '----daftari-test';
    const payload = [
      `--${boundary}`, 'Content-Disposition: form-data; name="_csrf"', '', admin.csrf,
      `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="services.csv"', 'Content-Type: text/csv', '',
      `${HEADER}\nform-upload,urban,paper,office,property,30,Uploaded,Téléversé`,
      `--${boundary}--`, '',
    ].join('\r\n');
    const upload = await app.app.inject({ method: 'POST', url: '/admin/catalogue/imports', headers: { cookie: admin.cookie(), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    assert.equal(upload.statusCode, 303, upload.body);
    const statusUrl = String(upload.headers.location);
    const running = await app.app.inject({ method: 'GET', url: statusUrl, headers: { cookie: admin.cookie() } });
    assert.match(running.body, /<progress/);
    assert.equal(running.headers.refresh, '2');
    await app.jobs.drain();
    const done = await app.app.inject({ method: 'GET', url: statusUrl, headers: { cookie: admin.cookie() } });
    assert.equal(done.headers.refresh, undefined);
    assert.ok((await search('q=uploaded')).total === 1);
  });

  it('refuses an upload without the form token', async () => {
    const boundary = '----daftari-test';
    const payload = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="s.csv"', 'Content-Type: text/csv', '', `${HEADER}\nsneaky,urban,paper,office,property,30,Sneaky,Sournois`, `--${boundary}--`, ''].join('\r\n');
    const upload = await app.app.inject({ method: 'POST', url: '/admin/catalogue/imports', headers: { cookie: admin.cookie(), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    assert.equal(upload.statusCode, 403);
    await app.jobs.drain();
    assert.equal((await search('q=sneaky')).total, 0);
  });
});

describe('who may change the register', () => {
  const body = (agency: string) => ({ agency, titles: { en: 'Scoped service' }, status: 'paper', channels: ['office'] });

  it('an agency head edits services of their agency and the agencies below it, nowhere else', async () => {
    const own = await app.app.inject({ method: 'PUT', url: '/api/catalogue/services/scoped-service', headers: asSession(head), payload: body('urban-permits') });
    assert.equal(own.statusCode, 201, own.body);
    const other = await app.app.inject({ method: 'PUT', url: '/api/catalogue/services/fire-scoped', headers: asSession(head), payload: body('fire') });
    assert.equal(other.statusCode, 403);
    const takeOver = await app.app.inject({ method: 'PUT', url: '/api/catalogue/services/fire-safety-approval', headers: asSession(head), payload: body('urban') });
    assert.equal(takeOver.statusCode, 403, 'a head cannot move another agency’s service into their own');
  });

  it('officers and citizens are refused, anonymous callers must sign in', async () => {
    for (const session of [officer, citizen]) {
      const response = await app.app.inject({ method: 'PUT', url: '/api/catalogue/services/x-service', headers: asSession(session), payload: body('urban') });
      assert.equal(response.statusCode, 403);
    }
    const anonymous = await app.app.inject({ method: 'PUT', url: '/api/catalogue/services/x-service', payload: body('urban') });
    assert.equal(anonymous.statusCode, 401);
  });

  it('only administrators import files or read import reports', async () => {
    for (const session of [head, officer, citizen]) {
      const response = await app.app.inject({ method: 'POST', url: '/api/catalogue/imports', headers: { ...asSession(session), 'content-type': 'text/csv' }, payload: HEADER });
      assert.equal(response.statusCode, 403);
    }
    const page = await app.app.inject({ method: 'GET', url: '/admin/catalogue', headers: { cookie: citizen.cookie() } });
    assert.equal(page.statusCode, 403);
  });

  it('each change is in the audit log', async () => {
    const entries = await app.app.inject({ method: 'GET', url: '/api/audit/entries?action=catalogue.add-service', headers: asSession(admin) });
    assert.ok((entries.json() as { entries: { subjectId: string }[] }).entries.some((e) => e.subjectId === 'scoped-service'));
  });
});

describe('public pages of the register', () => {
  it('search and detail pages work without JavaScript, in Arabic too', async () => {
    const list = await app.app.inject({ method: 'GET', url: '/services?q=permis&lang=fr' });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Permis de construire/);
    const detail = await app.app.inject({ method: 'GET', url: '/services/construction-permit?lang=ar' });
    assert.match(detail.body, /dir="rtl"/);
    assert.match(detail.body, /رخصة البناء/);
    const missing = await app.app.inject({ method: 'GET', url: '/services/no-such-service', headers: { accept: 'text/html' } });
    assert.equal(missing.statusCode, 404);
  });
});

describe("the register's digitisation over time", () => {
  const HISTORY_HEADER = 'code,agency,status,status_since,channels,title_en';
  type Month = { month: string; agency: string; paper: number; 'partly-online': number; 'fully-online': number };
  const history = async (query: string) => {
    const response = await app.app.inject({ method: 'GET', url: `/api/catalogue/digitisation/history?${query}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { licence: string; months: Month[] };
  };
  const months = async (agency: string, query: string) => (await history(query)).months.filter((m) => m.agency === agency).map((m) => `${m.month} ${m.paper}/${m['partly-online']}/${m['fully-online']}`);

  // First, before the tests below add services of their own.
  it("shows the demo's register going online since its 2025 inventory", async () => {
    const inventory = (await history('from=2025-06&to=2025-06')).months;
    const now = (await history('')).months.filter((m) => m.month === new Date().toISOString().slice(0, 7));
    const fully = (rows: Month[]) => rows.reduce((n, m) => n + m['fully-online'], 0);
    assert.equal(fully(inventory), 0);
    assert.equal(inventory.reduce((n, m) => n + m.paper + m['partly-online'], 0), 17, 'every service was in the inventory');
    // src/demo/public-services.csv has six services fully online today, none in the inventory.
    assert.equal(fully(now), 6, JSON.stringify(now));
  });

  it('counts each month the services in the status they had at its end, from the day each status was reached', async () => {
    const inventory = await importCsv([HISTORY_HEADER, 'history-one,pmo,paper,2024-01-10,office,History one', 'history-two,pmo,partly-online,2024-02-20,online;office,History two'].join('\n'));
    assert.equal(inventory.state, 'done', JSON.stringify(inventory.errors));
    const later = await importCsv([HISTORY_HEADER, 'history-one,pmo,fully-online,2024-04-05,online,History one', 'history-two,pmo,partly-online,,online;office,History two'].join('\n'));
    assert.equal(later.state, 'done', JSON.stringify(later.errors));
    // paper / partly online / fully online; before January the services were not on the register.
    assert.deepEqual(await months('pmo', 'from=2023-12&to=2024-05'), ['2024-01 1/0/0', '2024-02 1/1/0', '2024-03 1/1/0', '2024-04 0/1/1', '2024-05 0/1/1']);
    assert.equal((await history('from=2024-01&to=2024-01')).licence, 'CC-BY-4.0');
  });

  it('refuses a status dated before the one already recorded, and keeps the register as it was', async () => {
    const result = await importCsv([HISTORY_HEADER, 'history-one,pmo,paper,2024-03-01,office,History one'].join('\n'));
    assert.equal(result.state, 'failed');
    assert.deepEqual(result.errors.map((e) => `${e.line}:${e.column}`), ['2:status_since']);
    assert.match(result.errors[0]!.reason, /after 2024-04-05/);
    assert.equal((await search('q=history%20one')).services[0]?.status, 'fully-online');
    const put = await app.app.inject({ method: 'PUT', url: '/api/catalogue/services/history-one', headers: asSession(admin), payload: { agency: 'pmo', titles: { en: 'History one' }, status: 'paper', statusSince: '2024-03-01', channels: ['office'] } });
    assert.equal(put.statusCode, 400, put.body);
    assert.equal((put.json() as { errors: { pointer: string }[] }).errors[0]?.pointer, '/body/statusSince');
    assert.deepEqual(await months('pmo', 'from=2024-04&to=2024-04'), ['2024-04 0/1/1']);
  });

  it('refuses a date that does not exist or is still to come', async () => {
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const result = await importCsv([HISTORY_HEADER, 'history-three,pmo,paper,2024-02-30,office,Three', `history-four,pmo,paper,${tomorrow},office,Four`].join('\n'));
    assert.equal(result.state, 'failed');
    assert.deepEqual(result.errors.map((e) => `${e.line}:${e.column}`), ['2:status_since', '3:status_since']);
  });

  it('answers a reversed or too long period with a problem naming the field', async () => {
    for (const query of ['from=2024-05&to=2024-01', 'from=2000-01&to=2024-01', 'from=2024-13']) {
      const response = await app.app.inject({ method: 'GET', url: `/api/catalogue/digitisation/history?${query}` });
      assert.equal(response.statusCode, 400, query);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.match(JSON.stringify((response.json() as { errors: unknown[] }).errors), /from/);
    }
  });

  it('publishes the history as CSV open data with its licence', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/api/catalogue/digitisation/history.csv?from=2024-04&to=2024-04' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers.link), /creativecommons\.org\/licenses\/by\/4\.0/);
    const lines = response.body.trim().split('\n');
    assert.equal(lines[0], 'month,agency,paper,partly-online,fully-online');
    assert.ok(lines.includes('2024-04,pmo,0,1,1'), response.body);
  });

});
