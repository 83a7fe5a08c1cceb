import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import { recordAudit, SYSTEM_ACTOR } from '../audit/index.ts';
import { findUserByLogin, principalForUser } from '../identity/index.ts';
import { defineRegistry } from './define-registry.ts';
import type { RegistryDefinition } from './definition.ts';
import { insertBatch } from './imports.ts';
import { readerOf, readRecord } from './records.ts';
import { findRecords, findRegistry, type RecordData } from './store.ts';

/**
 * Three demo registries with generated records (deterministic: the same records on every
 * machine), written in a few statements so starting the demo stays quick: people in the civil
 * register (Amina and Omar among them), land parcels (Amina owns the first three) and businesses.
 */
const PEOPLE = 1500;
const PARCELS = 1200;
const BUSINESSES = 500;

export const AMINA = { nationalId: 'DJ-1985-000123', firstName: 'Amina', lastName: 'Said', birthDate: '1985-03-14', sex: 'F', birthPlace: 'Djibouti' };
export const OMAR = { nationalId: 'DJ-1979-004567', firstName: 'Omar', lastName: 'Farah', birthDate: '1979-09-02', sex: 'M', birthPlace: 'Ali Sabieh' };

export const CIVIL_REGISTER: RegistryDefinition = {
  code: 'civil-register',
  agency: 'civil-registry',
  names: { en: 'Civil register', fr: "Registre d'état civil", ar: 'سجل الأحوال المدنية', sw: 'Daftari la usajili wa raia', ru: 'Реестр актов гражданского состояния', tg: 'Феҳристи ҳолати шаҳрвандӣ' },
  descriptions: { en: 'Everyone born or living in the country, by national id.', fr: "Toute personne née ou vivant dans le pays, par numéro d'identité nationale.", ar: 'كل من وُلد أو يقيم في البلد، حسب الرقم الوطني.', sw: 'Kila mtu aliyezaliwa au anayeishi nchini, kwa namba ya kitambulisho cha taifa.', ru: 'Все, кто родился или живёт в стране, по национальному идентификационному номеру.', tg: 'Ҳар касе, ки дар кишвар таваллуд шудааст ё зиндагӣ мекунад, аз рӯи рақами мушаххаси миллӣ.' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['nationalId', 'firstName', 'lastName', 'birthDate', 'sex'],
    properties: {
      nationalId: { type: 'string', pattern: '^DJ-[0-9]{4}-[0-9]{6}$' },
      firstName: { type: 'string', minLength: 1, maxLength: 80 },
      lastName: { type: 'string', minLength: 1, maxLength: 80 },
      birthDate: { type: 'string', format: 'date' },
      sex: { enum: ['F', 'M'], type: 'string' },
      birthPlace: { type: 'string', maxLength: 80 },
    },
  },
  key: 'nationalId',
  searchable: ['nationalId', 'lastName', 'firstName'],
  personal: true,
  personField: 'nationalId',
  access: [
    { role: 'officer', agency: 'civil-registry', read: '*', write: '*' },
    { role: 'agency-head', agency: 'civil-registry', read: '*', write: '*' },
    { role: 'officer', agency: 'commerce', read: ['nationalId', 'firstName', 'lastName'] },
    { role: 'officer', agency: 'urban-permits', read: ['nationalId', 'firstName', 'lastName', 'birthDate'] },
  ],
};

export const LAND_PARCELS: RegistryDefinition = {
  code: 'land-parcels',
  agency: 'urban',
  names: { en: 'Land parcels', fr: 'Parcelles foncières', ar: 'قطع الأراضي', sw: 'Viwanja vya ardhi', ru: 'Земельные участки', tg: 'Қитъаҳои замин' },
  descriptions: { en: 'Parcels of Djibouti city: owner, zone, area, position and title deed.', fr: 'Parcelles de la ville de Djibouti : propriétaire, zone, surface, position et titre foncier.', ar: 'قطع أراضي مدينة جيبوتي: المالك والمنطقة والمساحة والموقع وسند الملكية.', sw: 'Viwanja vya jiji la Djibouti: mmiliki, eneo, ukubwa, mahali na hati miliki.', ru: 'Участки города Джибути: владелец, зона, площадь, расположение и правоустанавливающий документ.', tg: 'Қитъаҳои шаҳри Ҷибутӣ: соҳиб, минтақа, масоҳат, ҷойгиршавӣ ва ҳуҷҷати моликият.' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['parcelNumber', 'ownerNationalId', 'ownerName', 'zone', 'areaM2', 'latitude', 'longitude', 'titleDeedNumber'],
    properties: {
      parcelNumber: { type: 'string', pattern: '^DJ-PAR-[0-9]{7}$' },
      ownerNationalId: { type: 'string', pattern: '^DJ-[0-9]{4}-[0-9]{6}$' },
      ownerName: { type: 'string', minLength: 1, maxLength: 160 },
      zone: { enum: ['R1', 'R2', 'C1', 'I1'], type: 'string' },
      areaM2: { type: 'number', exclusiveMinimum: 0, maximum: 1000000 },
      latitude: { type: 'number', minimum: 11.45, maximum: 11.65 },
      longitude: { type: 'number', minimum: 43.0, maximum: 43.25 },
      titleDeedNumber: { type: 'string', pattern: '^TF-[0-9]{6}$' },
    },
  },
  key: 'parcelNumber',
  searchable: ['parcelNumber', 'ownerNationalId', 'ownerName', 'zone', 'titleDeedNumber'],
  personal: true,
  personField: 'ownerNationalId',
  access: [
    { role: 'officer', agency: 'urban', read: '*', write: '*' },
    { role: 'agency-head', agency: 'urban', read: '*', write: '*' },
    { role: 'officer', agency: 'urban-permits', read: ['parcelNumber', 'ownerNationalId', 'ownerName', 'zone', 'areaM2'] },
  ],
};

export const BUSINESSES_REGISTER: RegistryDefinition = {
  code: 'businesses',
  agency: 'commerce',
  names: { en: 'Business register', fr: 'Registre du commerce', ar: 'السجل التجاري', sw: 'Daftari la biashara', ru: 'Торговый реестр', tg: 'Феҳристи тиҷоратӣ' },
  descriptions: { en: 'Registered businesses: trade name, owner, category and address.', fr: 'Entreprises immatriculées : nom commercial, propriétaire, catégorie et adresse.', ar: 'المنشآت المسجلة: الاسم التجاري والمالك والفئة والعنوان.', sw: 'Biashara zilizosajiliwa: jina la biashara, mmiliki, aina na anwani.', ru: 'Зарегистрированные предприятия: фирменное наименование, владелец, категория и адрес.', tg: 'Корхонаҳои бақайдгирифта: номи тиҷоратӣ, соҳиб, категория ва суроға.' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['registrationNumber', 'tradeName', 'ownerNationalId', 'category', 'address'],
    properties: {
      registrationNumber: { type: 'string', pattern: '^DJ-RCS-[0-9]{6}$' },
      tradeName: { type: 'string', minLength: 1, maxLength: 120 },
      ownerNationalId: { type: 'string', pattern: '^DJ-[0-9]{4}-[0-9]{6}$' },
      category: { enum: ['retail', 'food', 'services', 'crafts', 'transport', 'construction'], type: 'string' },
      address: { type: 'string', minLength: 1, maxLength: 200 },
      employees: { type: 'integer', minimum: 0, maximum: 100000 },
    },
  },
  key: 'registrationNumber',
  searchable: ['registrationNumber', 'tradeName', 'ownerNationalId', 'category'],
  personal: true,
  personField: 'ownerNationalId',
  access: [
    { role: 'officer', agency: 'commerce', read: '*', write: '*' },
    { role: 'agency-head', agency: 'commerce', read: '*', write: '*' },
    { role: 'officer', agency: 'fire', read: ['registrationNumber', 'tradeName', 'category', 'address'] },
  ],
};

/** mulberry32: a small seeded generator, so the demo records are the same everywhere. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!, between: (low: number, high: number) => low + next() * (high - low) };
}

const FIRST_NAMES = { F: ['Fatouma', 'Hodan', 'Kadra', 'Saada', 'Hawa', 'Zahra', 'Mariam', 'Deka', 'Asma', 'Nimo', 'Ifrah', 'Roukia'], M: ['Ahmed', 'Hassan', 'Moussa', 'Idriss', 'Ali', 'Abdourahman', 'Ibrahim', 'Youssouf', 'Houssein', 'Mohamed', 'Daher', 'Kamil'] } as const;
const LAST_NAMES = ['Said', 'Farah', 'Robleh', 'Youssouf', 'Mahamoud', 'Djama', 'Warsama', 'Ibrahim', 'Ali', 'Omar', 'Hassan', 'Abdi', 'Elmi', 'Aden', 'Bouh', 'Waberi', 'Dirieh', 'Houmed', 'Osman', 'Guedi'];
const PLACES = ['Djibouti', 'Ali Sabieh', 'Dikhil', 'Tadjourah', 'Obock', 'Arta'];
const STREETS = ['Rue de Rome', 'Avenue Nasser', 'Boulevard de Gaulle', 'Rue Ménélik', 'Avenue 13', 'Rue de Venise', 'Boulevard du Général Leclerc', 'Rue d’Athènes'];
const TRADES = ['Boutique', 'Restaurant', 'Atelier', 'Transports', 'Épicerie', 'Salon', 'Bâtiment', 'Café'];
const CATEGORIES = ['retail', 'food', 'services', 'crafts', 'transport', 'construction'] as const;
const ZONES = ['R1', 'R1', 'R2', 'R2', 'C1', 'I1'] as const;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const round = (value: number, digits: number) => Number(value.toFixed(digits));

export function demoPeople(): RecordData[] {
  const random = generator(2026);
  const people: RecordData[] = [AMINA, OMAR];
  for (let i = 1; people.length < PEOPLE; i++) {
    const sex = random.next() < 0.5 ? 'F' : 'M';
    const year = 1940 + Math.floor(random.next() * 66);
    const birthDate = `${year}-${pad(1 + Math.floor(random.next() * 12), 2)}-${pad(1 + Math.floor(random.next() * 28), 2)}`;
    people.push({ nationalId: `DJ-${year}-${pad(100000 + i, 6)}`, firstName: random.pick(FIRST_NAMES[sex]), lastName: random.pick(LAST_NAMES), birthDate, sex, birthPlace: random.pick(PLACES) });
  }
  return people;
}

export function demoParcels(people: RecordData[]): RecordData[] {
  const random = generator(1977);
  return Array.from({ length: PARCELS }, (_, i) => {
    // Amina owns the first three parcels, so her account shows who looked at them.
    const owner = i < 3 ? AMINA : random.pick(people.slice(2));
    return {
      parcelNumber: `DJ-PAR-${pad(i + 1, 7)}`,
      ownerNationalId: owner.nationalId,
      ownerName: `${String(owner.firstName)} ${String(owner.lastName)}`,
      zone: random.pick(ZONES),
      areaM2: round(random.between(80, 2500), 1),
      latitude: round(random.between(11.54, 11.61), 5),
      longitude: round(random.between(43.09, 43.17), 5),
      titleDeedNumber: `TF-${pad(10000 + i, 6)}`,
    };
  });
}

export function demoBusinesses(people: RecordData[]): RecordData[] {
  const random = generator(1999);
  return Array.from({ length: BUSINESSES }, (_, i) => {
    const owner = i === 0 ? AMINA : random.pick(people.slice(2));
    return {
      registrationNumber: `DJ-RCS-${pad(i + 1, 6)}`,
      tradeName: i === 0 ? 'Kiosk Ménélik' : `${random.pick(TRADES)} ${String(owner.lastName)}`,
      ownerNationalId: owner.nationalId,
      category: i === 0 ? 'retail' : random.pick(CATEGORIES),
      address: i === 0 ? 'Place Ménélik 3, Djibouti' : `${random.pick(STREETS)} ${1 + Math.floor(random.next() * 120)}, Djibouti`,
      employees: Math.floor(random.between(0, 40)),
    };
  });
}

/** The id the demo's records carry as their import: one per registry, so seeding again writes nothing. */
const seedImportId = (code: string) => {
  const hex = createHash('sha256').update(`daftari-demo-seed:${code}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** Define the demo registries and fill them; safe to run on every start. Returns what it created. */
export async function seedDemoRegistries(db: Db): Promise<string[]> {
  const created: string[] = [];
  let people: RecordData[] | undefined;
  const contents: [RegistryDefinition, (people: RecordData[]) => RecordData[]][] = [
    [CIVIL_REGISTER, (all) => all],
    [LAND_PARCELS, demoParcels],
    [BUSINESSES_REGISTER, demoBusinesses],
  ];
  for (const [definition, generate] of contents) {
    const { registry, created: isNew } = await defineRegistry(db, definition, { actor: SYSTEM_ACTOR, requestId: 'seed' });
    if (isNew) created.push(`registry ${registry.code}`);
    const importId = seedImportId(registry.code);
    const seeded = await sql`SELECT 1 FROM registries_records WHERE import_id = ${importId} LIMIT 1`.execute(db);
    if (seeded.rows.length > 0) continue;
    people ??= demoPeople();
    const rows = generate(people).map((data, i) => ({ line: i + 1, data }));
    await db.transaction().execute(async (trx) => {
      for (let start = 0; start < rows.length; start += 2000) {
        await insertBatch(trx, { registry, importId, rows: rows.slice(start, start + 2000), actor: SYSTEM_ACTOR, agencyId: registry.agencyId, reason: 'Demo data' });
      }
      await recordAudit(trx, { actor: SYSTEM_ACTOR, agencyId: registry.agencyId, action: 'registries.import-records', subjectType: 'registry-import', subjectId: importId, requestId: 'seed', details: { registry: registry.code, records: rows.length } });
    });
    created.push(`${rows.length} records in ${registry.code}`);
  }
  await demoRead(db);
  return created;
}

/** The permits officer looks at Amina's first parcel, so her "who used my data" page has a read to show. */
async function demoRead(db: Db): Promise<void> {
  const parcels = await findRegistry(db, LAND_PARCELS.code);
  const officer = await findUserByLogin(db, 'officer.permits');
  const principal = officer && (await principalForUser(db, officer.id, null));
  if (!parcels || !principal) return;
  const read = await sql`SELECT 1 FROM registries_access_log WHERE person_id = ${AMINA.nationalId} AND action = 'read' LIMIT 1`.execute(db);
  if (read.rows.length > 0) return;
  const [parcel] = await findRecords(db, parcels, { match: { parcelNumber: 'DJ-PAR-0000001' } }, { limit: 1 });
  if (!parcel) return;
  await readRecord(db, { registry: parcels, id: parcel.id, reader: readerOf(principal, parcels), purpose: { service: 'construction-permit', reason: 'Checking the parcel for a construction permit (demo)' } });
}
