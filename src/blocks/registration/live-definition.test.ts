import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';

/**
 * A service launched while the platform runs: published over HTTP as YAML, applied for and decided
 * at once, changed and rolled back, with no restart, and seen by every app process on the database.
 */

const SERVICE = 'market-stall-permit';

/** A service no file in the repository knows. Version 2 adds a field and renames the decision. */
function stallPermit(version: number, opts: { goods?: boolean; grantAction?: string; title?: string } = {}): string {
  const grant = opts.grantAction ?? 'grant';
  return `id: ${SERVICE}
version: ${version}
agency: commerce
title:
  en: ${opts.title ?? 'Market stall permit'}
  fr: Autorisation d'étal au marché
  ar: تصريح كشك في السوق
  sw: Kibali cha kibanda sokoni
  ru: Разрешение на торговое место на рынке
  tg: Иҷозатномаи раста дар бозор
description:
  en: Permission to sell from a stall in a public market.
  fr: Autorisation de vendre sur un étal dans un marché public.
  ar: إذن بالبيع من كشك في سوق عام.
  sw: Ruhusa ya kuuza kutoka kibanda katika soko la umma.
  ru: Разрешение торговать с прилавка на городском рынке.
  tg: Иҷозат барои савдо аз раста дар бозори умумӣ.
applicants: [person]
form:
  steps:
    - id: stall
      title: { en: Your stall, fr: Votre étal, ar: كشكك, sw: Kibanda chako, ru: Ваш прилавок, tg: Растаи шумо }
      fields:
        - id: stallName
          type: text
          label: { en: Name of the stall, fr: Nom de l'étal, ar: اسم الكشك, sw: Jina la kibanda, ru: Название прилавка, tg: Номи раста }
          required: true
        - id: market
          type: select
          label: { en: Market, fr: Marché, ar: السوق, sw: Soko, ru: Рынок, tg: Бозор }
          required: true
          options:
            - { value: central, label: { en: Central market, fr: Marché central, ar: السوق المركزي, sw: Soko kuu, ru: Центральный рынок, tg: Бозори марказӣ } }
            - { value: port, label: { en: Port market, fr: Marché du port, ar: سوق الميناء, sw: Soko la bandari, ru: Портовый рынок, tg: Бозори бандар } }
${opts.goods ? `        - id: goods
          type: text
          label: { en: What you sell, fr: Ce que vous vendez, ar: ما تبيعه, sw: Unachouza, ru: Что вы продаёте, tg: Чӣ мефурӯшед }
          required: true
` : ''}workflow:
  initial: review
  states:
    - id: review
      label: { en: Review, fr: Examen, ar: المراجعة, sw: Mapitio, ru: Рассмотрение, tg: Баррасӣ }
      slaDays: 5
      actions:
        - id: ${grant}
          label: { en: Grant, fr: Accorder, ar: منح, sw: Toa, ru: Выдать, tg: Додан }
          to: granted
          effects: [{ issue: stall-permit }]
        - id: refuse
          label: { en: Refuse, fr: Refuser, ar: رفض, sw: Kataa, ru: Отказать, tg: Рад кардан }
          to: refused
          inputs:
            - { id: reason, type: textarea, label: { en: Reason, fr: Motif, ar: السبب, sw: Sababu, ru: Причина, tg: Сабаб } }
    - id: granted
      label: { en: Granted, fr: Accordé, ar: ممنوح, sw: Kimetolewa, ru: Выдано, tg: Дода шуд }
      outcome: granted
    - id: refused
      label: { en: Refused, fr: Refusé, ar: مرفوض, sw: Kimekataliwa, ru: Отказано, tg: Рад карда шуд }
      outcome: refused
outputs:
  - id: stall-permit
    title: { en: Market stall permit, fr: Autorisation d'étal, ar: تصريح كشك, sw: Kibali cha kibanda sokoni, ru: Разрешение на торговое место, tg: Иҷозатномаи раста дар бозор }
    validityDays: 365
    body:
      en: "{{stallName}} may sell at the {{market}} market."
      fr: "{{stallName}} peut vendre au marché {{market}}."
      ar: "يجوز لـ {{stallName}} البيع في سوق {{market}}."
      sw: "{{stallName}} anaweza kuuza katika soko la {{market}}."
      ru: "{{stallName}} может торговать на рынке {{market}}."
      tg: "{{stallName}} метавонад дар бозори {{market}} савдо кунад."
`;
}

let app: TestApp;
let second: TestApp | undefined;
let admin: Session;
let citizen: Session;
let officer: Session;

before(async () => {
  app = await startTestApp({ listen: true });
  [admin, citizen, officer] = await Promise.all([signIn(app, 'admin', DEMO_PASSWORD), signIn(app, 'amina', DEMO_PASSWORD), signIn(app, 'officer.trade', DEMO_PASSWORD)]);
});
after(async () => {
  await second?.stop();
  await app.stop();
});

type Json = Record<string, any>;

/** Real HTTP to a listening process, as any client would call it. */
async function http(base: string, session: Session | null, method: 'GET' | 'POST', url: string, body?: { yaml: string } | { json: unknown }) {
  const headers: Record<string, string> = session ? asSession(session) : {};
  let payload: string | undefined;
  if (body && 'yaml' in body) [headers['content-type'], payload] = ['application/yaml', body.yaml];
  else if (body) [headers['content-type'], payload] = ['application/json', JSON.stringify(body.json)];
  const response = await fetch(`${base}${url}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
}

const publish = (yaml: string) => http(app.url, admin, 'POST', '/api/registration/definitions', { yaml });

async function apply(base: string, session: Session, data: Record<string, unknown>) {
  return http(base, session, 'POST', '/api/registration/applications', { json: { serviceId: SERVICE, data, idempotencyKey: `stall-${randomUUID()}` } });
}

const decide = (id: string, action: string) => http(app.url, officer, 'POST', `/api/workflow/cases/${id}/actions/${action}`, { json: {} });

describe('a service published while the platform runs', () => {
  let openOnVersion1: string;
  let openOnVersion2: string;

  it('is unknown until published; an administrator publishes it as YAML and it takes applications at once', async () => {
    assert.equal((await http(app.url, null, 'GET', `/api/registration/definitions/${SERVICE}`)).status, 404);
    const published = await publish(stallPermit(1));
    assert.equal(published.status, 201, JSON.stringify(published.body));
    assert.deepEqual({ id: published.body.id, version: published.body.version, agency: published.body.agency }, { id: SERVICE, version: 1, agency: 'commerce' });
    assert.equal((await publish(stallPermit(1))).status, 200, 'publishing the same version again changes nothing');
    const current = await http(app.url, null, 'GET', `/api/registration/definitions/${SERVICE}`);
    assert.equal(current.body.definition.version, 1);
  });

  it('a citizen applies and an officer decides, with no restart', async () => {
    const applied = await apply(app.url, citizen, { stallName: 'Fatima’s spices', market: 'central' });
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    assert.equal(applied.body.serviceVersion, 1);
    assert.equal(applied.body.state.id, 'review');
    const granted = await decide(applied.body.id, 'grant');
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal(granted.body.transition.outcome, 'granted');
    const mine = await http(app.url, citizen, 'GET', `/api/registration/applications/${applied.body.id}`);
    assert.deepEqual((mine.body.outputs as { id: string }[]).map((o) => o.id), ['stall-permit']);
  });

  it('version 2 changes the form of new applications, while one started on version 1 stays on it through its decision', async () => {
    const earlier = await apply(app.url, citizen, { stallName: 'Early bird', market: 'port' });
    assert.equal(earlier.status, 201);
    openOnVersion1 = earlier.body.id;

    const published = await publish(stallPermit(2, { goods: true, grantAction: 'approve' }));
    assert.equal(published.status, 201, JSON.stringify(published.body));

    const withoutGoods = await apply(app.url, citizen, { stallName: 'Late comer', market: 'port' });
    assert.equal(withoutGoods.status, 400);
    assert.deepEqual((withoutGoods.body.errors as { pointer: string }[]).map((e) => e.pointer), ['/body/data/goods']);
    const onVersion2 = await apply(app.url, citizen, { stallName: 'Late comer', market: 'port', goods: 'Fresh fish' });
    assert.equal(onVersion2.status, 201, JSON.stringify(onVersion2.body));
    assert.equal(onVersion2.body.serviceVersion, 2);
    openOnVersion2 = onVersion2.body.id;

    const file = await http(app.url, officer, 'GET', `/api/registration/applications/${openOnVersion1}`);
    assert.equal(file.body.serviceVersion, 1);
    assert.deepEqual((file.body.actions as { id: string }[]).map((a) => a.id), ['grant', 'refuse'], 'the actions of version 1');
    assert.equal((await decide(openOnVersion1, 'approve')).status, 409, 'version 2’s action does not exist on version 1');
    const granted = await decide(openOnVersion1, 'grant');
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal(granted.body.transition.outcome, 'granted');
  });

  it('publishing an existing version with different content is refused', async () => {
    const changed = await publish(stallPermit(2, { goods: true, grantAction: 'approve', title: 'Permit for a market stall' }));
    assert.equal(changed.status, 409, JSON.stringify(changed.body));
    assert.match(changed.body.detail, /Raise the version number/);
  });

  it('an invalid definition is refused with the pointer, line and column of each problem', async () => {
    const yaml = stallPermit(4).replace('version: 4', 'version: four').replace('      slaDays: 5\n', '      slaDays: 5\n      assignee: { role: mayor }\n');
    const refused = await publish(yaml);
    assert.equal(refused.status, 400);
    assert.match(String(refused.body.detail), /problem/);
    const lines = yaml.split('\n');
    const where = (text: string, marker: string) => {
      const line = lines.findIndex((l) => l.includes(text));
      return { line: line + 1, column: lines[line]!.indexOf(marker) + 1 };
    };
    // The shape is checked first: a document that is not a definition is not read for meaning.
    assert.deepEqual(refused.body.problems, [{ pointer: '/version', message: 'must be integer', ...where('version: four', 'four') }]);
    const fixed = await publish(yaml.replace('version: four', 'version: 4'));
    assert.equal(fixed.status, 400);
    assert.deepEqual(fixed.body.problems.map((p: Json) => ({ pointer: p.pointer, line: p.line, column: p.column })), [{ pointer: '/workflow/states/0/assignee/role', ...where('role: mayor', 'mayor') }]);
    assert.match(fixed.body.problems[0].message, /"mayor" is not a role/);
  });

  it('retiring version 2 rolls new applications back to version 1; an application on version 2 keeps it', async () => {
    const retired = await http(app.url, admin, 'POST', `/api/registration/definitions/${SERVICE}/versions/2/retire`);
    assert.equal(retired.status, 204, JSON.stringify(retired.body));
    assert.equal((await http(app.url, null, 'GET', `/api/registration/definitions/${SERVICE}`)).body.definition.version, 1);
    const rolledBack = await apply(app.url, citizen, { stallName: 'After the roll-back', market: 'central' });
    assert.equal(rolledBack.status, 201, JSON.stringify(rolledBack.body));
    assert.equal(rolledBack.body.serviceVersion, 1);
    const approved = await decide(openOnVersion2, 'approve');
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.transition.outcome, 'granted');
  });

  it('a second app process on the same database sees a new version the moment it is published', async () => {
    second = await startTestApp({ database: app.testDb, listen: true });
    const citizenThere = await signIn(second, 'amina', DEMO_PASSWORD);
    assert.equal((await http(second.url, null, 'GET', `/api/registration/definitions/${SERVICE}`)).body.definition.version, 1);
    assert.equal((await publish(stallPermit(3, { title: 'Market stall licence' }))).status, 201);
    const there = await http(second.url, null, 'GET', `/api/registration/definitions/${SERVICE}`);
    assert.equal(there.body.definition.version, 3);
    assert.equal(there.body.definition.title.en, 'Market stall licence');
    const applied = await apply(second.url, citizenThere, { stallName: 'Second process', market: 'port' });
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    assert.equal(applied.body.serviceVersion, 3);
  });

  it('the register lists it as a fully online service once the queued work is done', async () => {
    await app.jobs.drain();
    const entry = await http(app.url, null, 'GET', `/api/catalogue/services/${SERVICE}`);
    assert.equal(entry.status, 200, JSON.stringify(entry.body));
    assert.equal(entry.body.status, 'fully-online');
    assert.equal(entry.body.definitionId, SERVICE);
    assert.equal(entry.body.agency, 'commerce');
  });
});
