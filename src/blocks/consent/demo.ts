import type { Db } from '../../platform/db/database.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findUserByLogin } from '../identity/index.ts';
import { AMINA, seedDemoRegistries } from '../registries/index.ts';
import { createAgreement, giveConsent, type NewAgreement } from './consents.ts';
import { consentsOf, findAgreement } from './store.ts';

export const DEMO_AGREEMENTS: NewAgreement[] = [
  {
    code: 'parcel-for-construction-permit',
    purpose: 'construction-permit',
    names: { en: 'Your land parcel, for your construction permit', fr: 'Votre parcelle, pour votre permis de construire', ar: 'قطعة أرضك، من أجل رخصة البناء', sw: 'Kiwanja chako, kwa kibali chako cha ujenzi', ru: 'Ваш земельный участок — для разрешения на строительство', tg: 'Қитъаи замини шумо, барои иҷозатномаи сохтмонатон' },
    descriptions: {
      en: 'The Building Permits Department reads the number, owner, zone and area of your parcel from the land register, so you need not bring a copy.',
      fr: 'La Direction des permis de construire lit le numéro, le propriétaire, la zone et la surface de votre parcelle au registre foncier : vous n’avez pas à en apporter une copie.',
      ar: 'تقرأ إدارة رخص البناء رقم قطعتك ومالكها ومنطقتها ومساحتها من السجل العقاري، فلا حاجة إلى إحضار نسخة.',
      sw: 'Idara ya Vibali vya Ujenzi inasoma namba, mmiliki, eneo na ukubwa wa kiwanja chako kutoka daftari la ardhi, kwa hiyo huhitaji kuleta nakala.',
      ru: 'Управление разрешений на строительство получает номер, владельца, зону и площадь вашего участка из земельного реестра, поэтому копию приносить не нужно.',
      tg: 'Раёсати иҷозатномаҳои сохтмон рақам, соҳиб, минтақа ва масоҳати қитъаи шуморо аз феҳристи замин мехонад, бинобар ин нусха овардан лозим нест.',
    },
    registry: 'land-parcels',
    fields: ['parcelNumber', 'ownerNationalId', 'ownerName', 'zone', 'areaM2'],
    recipient: 'urban-permits',
    service: 'construction-permit',
    validityDays: 365,
  },
  {
    code: 'identity-for-business-licence',
    purpose: 'business-licence',
    names: { en: 'Your identity, for your business licence', fr: 'Votre identité, pour votre licence commerciale', ar: 'هويتك، من أجل رخصتك التجارية', sw: 'Utambulisho wako, kwa leseni yako ya biashara', ru: 'Ваши личные данные — для лицензии на торговлю', tg: 'Шахсияти шумо, барои иҷозатномаи тиҷоратиатон' },
    descriptions: {
      en: 'The Ministry of Trade reads your name and date of birth from the civil register.',
      fr: 'Le ministère du Commerce lit vos nom et date de naissance au registre d’état civil.',
      ar: 'تقرأ وزارة التجارة اسمك وتاريخ ميلادك من سجل الأحوال المدنية.',
      sw: 'Wizara ya Biashara inasoma jina lako na tarehe yako ya kuzaliwa kutoka daftari la usajili wa raia.',
      ru: 'Министерство торговли получает ваши имя и дату рождения из реестра актов гражданского состояния.',
      tg: 'Вазорати савдо ном ва санаи таваллуди шуморо аз феҳристи ҳолати шаҳрвандӣ мехонад.',
    },
    registry: 'civil-register',
    fields: ['nationalId', 'firstName', 'lastName', 'birthDate'],
    recipient: 'commerce',
    service: 'business-licence',
    validityDays: 365,
  },
];

/**
 * The demo registries, then what one may consent to, and Amina's consent to the Building
 * Permits Department reading her parcel. Safe to run on every start.
 */
export async function seedDemoRegistriesAndConsents(db: Db): Promise<string[]> {
  const created = await seedDemoRegistries(db);
  for (const agreement of DEMO_AGREEMENTS) {
    if (await findAgreement(db, agreement.code)) continue;
    await createAgreement(db, agreement, { principal: null, actor: SYSTEM_ACTOR, requestId: 'seed' });
    created.push(`consent agreement ${agreement.code}`);
  }
  const amina = await findUserByLogin(db, 'amina');
  const parcels = await findAgreement(db, DEMO_AGREEMENTS[0]!.code);
  if (amina && parcels && (await consentsOf(db, AMINA.nationalId, { limit: 1 })).length === 0) {
    await giveConsent(db, { agreement: parcels, personId: AMINA.nationalId, by: { actor: { type: 'user', id: amina.id, name: amina.display_name }, agencyId: null }, paperReason: null, requestId: 'seed' });
    created.push('consent of amina to parcel-for-construction-permit');
  }
  return created;
}
