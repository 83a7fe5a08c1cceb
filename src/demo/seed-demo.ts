import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from '../platform/db/database.ts';
import type { JobQueue } from '../platform/jobs/queue.ts';
import type { Signer } from '../blocks/esignature/index.ts';
import type { Messenger } from '../blocks/messaging/index.ts';
import { seedEcabinetDemo } from '../usecases/ecabinet/index.ts';
import { SYSTEM_ACTOR } from '../blocks/audit/index.ts';
import { publishDefinition } from '../blocks/registration/index.ts';
import { agencyCodes, applyImport, findServiceByCode, validateImport } from '../blocks/catalogue/index.ts';
import { seedDemoRegistriesAndConsents } from '../blocks/consent/index.ts';
import { seedDemoScheduler } from '../blocks/scheduler/index.ts';
import { createAgency, createUser, findAgencyByCode, findUserByLogin, recordMandate, principalForUser, type NewUser } from '../blocks/identity/index.ts';

/** The example services, one definition file each. */
export const SERVICES_DIR = new URL('../../services/', import.meta.url);
/** A use case keeps its definitions in its own folder, beside the few hooks it needs. */
const USECASES_DIR = new URL('../usecases/', import.meta.url);

const isDefinition = (file: string) => /\.ya?ml$/.test(file);

/** Absolute paths of every service definition: services/*.yaml, then src/usecases/<case>/*.yaml. */
export function serviceDefinitionFiles(): string[] {
  const inFolder = (folder: URL) => fs.readdirSync(folder).filter(isDefinition).sort().map((file) => fileURLToPath(new URL(file, folder)));
  const cases = fs.readdirSync(USECASES_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return [...inFolder(SERVICES_DIR), ...cases.flatMap((name) => inFolder(new URL(`${name}/`, USECASES_DIR)))];
}

/** Every demo account signs in with this password (documented in the README). */
export const DEMO_PASSWORD = 'daftari-demo-2026';

export const DEMO_AGENCIES = [
  { code: 'gov', kind: 'government', parentCode: null, names: { en: 'Government', fr: 'Gouvernement', ar: 'الحكومة', sw: 'Serikali', ru: 'Правительство', tg: 'Ҳукумат' } },
  { code: 'pmo', kind: 'office', parentCode: 'gov', names: { en: "Prime Minister's Office", fr: 'Primature', ar: 'مكتب رئيس الوزراء', sw: 'Ofisi ya Waziri Mkuu', ru: 'Аппарат премьер-министра', tg: 'Дастгоҳи Сарвазир' } },
  { code: 'urban', kind: 'ministry', parentCode: 'gov', names: { en: 'Ministry of Housing and Urban Planning', fr: "Ministère de l'Habitat et de l'Urbanisme", ar: 'وزارة الإسكان والتخطيط العمراني', sw: 'Wizara ya Nyumba na Mipango Miji', ru: 'Министерство жилищного строительства и градостроительства', tg: 'Вазорати манзил ва шаҳрсозӣ' } },
  { code: 'urban-permits', kind: 'department', parentCode: 'urban', names: { en: 'Building Permits Department', fr: 'Direction des permis de construire', ar: 'إدارة رخص البناء', sw: 'Idara ya Vibali vya Ujenzi', ru: 'Управление разрешений на строительство', tg: 'Раёсати иҷозатномаҳои сохтмон' } },
  { code: 'fire', kind: 'agency', parentCode: 'gov', names: { en: 'Fire and Civil Protection', fr: 'Protection civile et pompiers', ar: 'الحماية المدنية والإطفاء', sw: 'Zimamoto na Ulinzi wa Raia', ru: 'Пожарная охрана и гражданская защита', tg: 'Хадамоти оташнишонӣ ва мудофиаи гражданӣ' } },
  { code: 'utilities', kind: 'agency', parentCode: 'gov', names: { en: 'Water and Electricity Utilities', fr: "Services de l'eau et de l'électricité", ar: 'مرافق المياه والكهرباء', sw: 'Huduma za Maji na Umeme', ru: 'Службы водо- и электроснабжения', tg: 'Хадамоти об ва барқ' } },
  { code: 'interior', kind: 'ministry', parentCode: 'gov', names: { en: 'Ministry of the Interior', fr: "Ministère de l'Intérieur", ar: 'وزارة الداخلية', sw: 'Wizara ya Mambo ya Ndani', ru: 'Министерство внутренних дел', tg: 'Вазорати корҳои дохилӣ' } },
  { code: 'civil-registry', kind: 'department', parentCode: 'interior', names: { en: 'Civil Registry', fr: "Direction de l'état civil", ar: 'مديرية الأحوال المدنية', sw: 'Usajili wa Raia', ru: 'Управление записи актов гражданского состояния', tg: 'Раёсати сабти аснод ва ҳолати шаҳрвандӣ' } },
  { code: 'commerce', kind: 'ministry', parentCode: 'gov', names: { en: 'Ministry of Trade', fr: 'Ministère du Commerce', ar: 'وزارة التجارة', sw: 'Wizara ya Biashara', ru: 'Министерство торговли', tg: 'Вазорати савдо' } },
  { code: 'finance', kind: 'ministry', parentCode: 'gov', names: { en: 'Ministry of Finance', fr: 'Ministère des Finances', ar: 'وزارة المالية', sw: 'Wizara ya Fedha', ru: 'Министерство финансов', tg: 'Вазорати молия' } },
  { code: 'health', kind: 'ministry', parentCode: 'gov', names: { en: 'Ministry of Health', fr: 'Ministère de la Santé', ar: 'وزارة الصحة', sw: 'Wizara ya Afya', ru: 'Министерство здравоохранения', tg: 'Вазорати тандурустӣ' } },
  { code: 'transport', kind: 'ministry', parentCode: 'gov', names: { en: 'Ministry of Transport', fr: 'Ministère des Transports', ar: 'وزارة النقل', sw: 'Wizara ya Uchukuzi', ru: 'Министерство транспорта', tg: 'Вазорати нақлиёт' } },
] as const;

export interface DemoAccount {
  username: string;
  displayName: string;
  what: string;
  user: NewUser;
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { username: 'admin', displayName: 'Platform Administrator', what: 'administrator: agencies, accounts, audit log, jobs', user: { username: 'admin', displayName: 'Platform Administrator', email: 'admin@daftari.localhost', roles: [{ role: 'admin', agencyCode: null }] } },
  { username: 'head.urban', displayName: 'Fatouma Ali', what: 'head of the Ministry of Housing and Urban Planning (and its departments)', user: { username: 'head.urban', displayName: 'Fatouma Ali', email: 'head.urban@daftari.localhost', roles: [{ role: 'agency-head', agencyCode: 'urban' }] } },
  { username: 'officer.permits', displayName: 'Ahmed Hassan', what: 'officer in the Building Permits Department', user: { username: 'officer.permits', displayName: 'Ahmed Hassan', email: 'officer.permits@daftari.localhost', roles: [{ role: 'officer', agencyCode: 'urban-permits' }] } },
  { username: 'cashier.urban', displayName: 'Said Omar', what: 'cashier at the Ministry of Housing and Urban Planning counter: takes the construction permit fees in cash, closes the day', user: { username: 'cashier.urban', displayName: 'Said Omar', email: 'cashier.urban@daftari.localhost', roles: [{ role: 'cashier', agencyCode: 'urban' }] } },
  { username: 'officer.fire', displayName: 'Moussa Robleh', what: 'officer in Fire and Civil Protection', user: { username: 'officer.fire', displayName: 'Moussa Robleh', email: 'officer.fire@daftari.localhost', roles: [{ role: 'officer', agencyCode: 'fire' }] } },
  { username: 'officer.utilities', displayName: 'Halima Dirieh', what: 'officer of the Water and Electricity Utilities (connections to the networks)', user: { username: 'officer.utilities', displayName: 'Halima Dirieh', email: 'officer.utilities@daftari.localhost', roles: [{ role: 'officer', agencyCode: 'utilities' }] } },
  { username: 'officer.trade', displayName: 'Idriss Youssouf', what: 'officer in the Ministry of Trade (business licences)', user: { username: 'officer.trade', displayName: 'Idriss Youssouf', email: 'officer.trade@daftari.localhost', roles: [{ role: 'officer', agencyCode: 'commerce' }] } },
  { username: 'head.trade', displayName: 'Kadra Mahamoud', what: 'head of the Ministry of Trade: decides business licences', user: { username: 'head.trade', displayName: 'Kadra Mahamoud', email: 'head.trade@daftari.localhost', roles: [{ role: 'agency-head', agencyCode: 'commerce' }] } },
  { username: 'cashier.trade', displayName: 'Hawa Djama', what: 'cashier at the Ministry of Trade counter', user: { username: 'cashier.trade', displayName: 'Hawa Djama', email: 'cashier.trade@daftari.localhost', roles: [{ role: 'cashier', agencyCode: 'commerce' }] } },
  { username: 'finance.trade', displayName: 'Ali Warsama', what: 'finance officer of the Ministry of Trade: bank statements, refunds, payment reports', user: { username: 'finance.trade', displayName: 'Ali Warsama', email: 'finance.trade@daftari.localhost', roles: [{ role: 'finance-officer', agencyCode: 'commerce' }] } },
  { username: 'officer.registry', displayName: 'Saada Ibrahim', what: 'officer in the Civil Registry', user: { username: 'officer.registry', displayName: 'Saada Ibrahim', email: 'officer.registry@daftari.localhost', roles: [{ role: 'officer', agencyCode: 'civil-registry' }] } },
  { username: 'officer.pmo', displayName: 'Abdourahman Ali', what: "officer in the Prime Minister's Office (complaints)", user: { username: 'officer.pmo', displayName: 'Abdourahman Ali', email: 'officer.pmo@daftari.localhost', roles: [{ role: 'officer', agencyCode: 'pmo' }] } },
  { username: 'auditor', displayName: 'Hodan Omar', what: 'auditor of the whole government', user: { username: 'auditor', displayName: 'Hodan Omar', email: 'auditor@daftari.localhost', roles: [{ role: 'auditor', agencyCode: 'gov' }] } },
  { username: 'agent.post', displayName: 'Neema Mwakyusa', what: 'agent at the central post office: applies for people at the counter, with their consent', user: { username: 'agent.post', displayName: 'Neema Mwakyusa', email: 'agent.post@daftari.localhost', roles: [{ role: 'agent', agencyCode: 'gov' }] } },
  { username: 'amina', displayName: 'Amina Said', what: 'citizen', user: { username: 'amina', displayName: 'Amina Said', email: 'amina@daftari.localhost', phone: '+25377812345', locale: 'fr', party: { kind: 'person', nationalId: 'DJ-1985-000123' } } },
  { username: 'omar.architect', displayName: 'Omar Farah', what: "architect acting for Amina under a recorded mandate", user: { username: 'omar.architect', displayName: 'Omar Farah', email: 'omar@daftari.localhost', phone: '+25377654321', locale: 'ar', party: { kind: 'person', nationalId: 'DJ-1979-004567' } } },
];

/** Agencies, accounts and a mandate for the demo. Safe to run on every start: existing items are kept. */
/**
 * The demo agencies, accounts, register, services, registries and consents; with `cabinet`, also a
 * cabinet at work (its minutes are signed and its agendas circulated, so it needs those blocks).
 */
export async function seedDemo(db: Db, jobs: JobQueue, cabinet?: { signer: Signer; messenger: Messenger; baseUrl: string }): Promise<{ created: string[] }> {
  const created: string[] = [];
  for (const agency of DEMO_AGENCIES) {
    if (await findAgencyByCode(db, agency.code)) continue;
    await createAgency(db, { code: agency.code, kind: agency.kind, names: agency.names, parentCode: agency.parentCode });
    created.push(`agency ${agency.code}`);
  }
  for (const account of DEMO_ACCOUNTS) {
    if (await findUserByLogin(db, account.username)) continue;
    await createUser(db, { ...account.user, password: DEMO_PASSWORD, roles: account.user.roles?.map((r) => ({ role: r.role, agencyCode: r.agencyCode })) });
    created.push(`account ${account.username}`);
  }
  if (created.includes('account omar.architect')) {
    const amina = await findUserByLogin(db, 'amina');
    const omar = await findUserByLogin(db, 'omar.architect');
    const principal = amina && (await principalForUser(db, amina.id, null));
    if (principal && omar?.party_id && amina.party_id) {
      await recordMandate(db, { grantorPartyId: amina.party_id, agentPartyId: omar.party_id, scope: '*', validUntil: null }, principal, 'seed');
      created.push('mandate amina → omar.architect');
    }
  }
  if (!(await findServiceByCode(db, 'construction-permit'))) {
    // The inventory made on paper in 2025 first, then today's register, so the digitisation
    // figures have a history to show.
    const codes = new Set((await agencyCodes(db)).keys());
    for (const file of ['./register-inventory-2025.csv', './public-services.csv']) {
      const { records, errors } = validateImport(fs.readFileSync(new URL(file, import.meta.url), 'utf8'), codes);
      if (errors.length > 0) throw new Error(`The demo register ${file} is invalid: ${JSON.stringify(errors.slice(0, 3))}`);
      await applyImport(db, records, SYSTEM_ACTOR, 'seed');
    }
    created.push('public services in the register, from the 2025 inventory to today');
  }
  for (const file of serviceDefinitionFiles()) {
    const { definition, created: isNew } = await publishDefinition(db, jobs, { source: fs.readFileSync(file, 'utf8') }, null, 'seed');
    if (isNew) created.push(`service ${definition.serviceId} version ${definition.version}`);
  }
  created.push(...(await seedDemoRegistriesAndConsents(db)));
  created.push(...(await seedDemoScheduler(db)));
  if (cabinet) created.push(...(await seedEcabinetDemo(db, { ...cabinet, jobs })));
  return { created };
}
