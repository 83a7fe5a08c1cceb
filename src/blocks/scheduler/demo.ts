import type { Db } from '../../platform/db/database.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findAgencyByCode, findUserByLogin } from '../identity/index.ts';
import { addResource, setHoliday, setWorkingHours } from './admin.ts';
import { findResourceByCode, holidaysOf } from './store.ts';

const AGENCY = 'urban-permits';

/** Site inspectors of the Building Permits Department; the first is the demo officer's account. */
export const DEMO_INSPECTORS = [
  { code: 'inspector-ahmed', name: 'Ahmed Hassan', officer: 'officer.permits' },
  { code: 'inspector-fatouma', name: 'Fatouma Ali', officer: null },
] as const;

type Names = Record<'en' | 'fr' | 'ar' | 'sw' | 'ru' | 'tg', string>;

const NEW_YEAR: Names = { en: "New Year's Day", fr: 'Jour de l’an', ar: 'رأس السنة الميلادية', sw: 'Siku ya Mwaka Mpya', ru: 'Новый год', tg: 'Соли нав' };
const LABOUR: Names = { en: 'Labour Day', fr: 'Fête du travail', ar: 'عيد العمال', sw: 'Siku ya Wafanyakazi', ru: 'День труда', tg: 'Рӯзи меҳнат' };
const INDEPENDENCE: Names = { en: 'Independence Day', fr: 'Fête de l’indépendance', ar: 'عيد الاستقلال', sw: 'Siku ya Uhuru', ru: 'День независимости', tg: 'Рӯзи истиқлолият' };
const CHRISTMAS: Names = { en: 'Christmas Day', fr: 'Noël', ar: 'عيد الميلاد المجيد', sw: 'Siku ya Krismasi', ru: 'Рождество', tg: 'Мавлуди Исо' };
const ISRA: Names = { en: "Isra and Mi'raj", fr: 'Al-Isra wal Miraj', ar: 'الإسراء والمعراج', sw: 'Israa na Miraji', ru: 'Исра и Мирадж', tg: 'Исро ва Меъроҷ' };
const FITR: Names = { en: 'Eid al-Fitr', fr: 'Aïd el-Fitr', ar: 'عيد الفطر', sw: 'Idd el-Fitr', ru: 'Ураза-байрам', tg: 'Иди Рамазон' };
const ADHA: Names = { en: 'Eid al-Adha', fr: 'Aïd el-Kébir', ar: 'عيد الأضحى', sw: 'Idd el-Hajj', ru: 'Курбан-байрам', tg: 'Иди Қурбон' };
const HIJRI: Names = { en: 'Islamic New Year', fr: 'Nouvel an de l’Hégire', ar: 'رأس السنة الهجرية', sw: 'Mwaka Mpya wa Kiislamu', ru: 'Исламский Новый год', tg: 'Соли нави ҳиҷрӣ' };
const MAWLID: Names = { en: "Prophet's Birthday", fr: 'Mawlid', ar: 'المولد النبوي الشريف', sw: 'Maulidi', ru: 'Мавлид', tg: 'Мавлуди Набӣ' };

/**
 * Djibouti's public holidays for 2026 and 2027. The Islamic ones follow the published
 * (astronomical) dates; the government confirms each after the moon is sighted, which is why an
 * officer can move them on the holidays page.
 */
export const DJIBOUTI_HOLIDAYS: { day: string; names: Names }[] = [
  { day: '2026-01-01', names: NEW_YEAR },
  { day: '2026-01-16', names: ISRA },
  { day: '2026-03-20', names: FITR },
  { day: '2026-03-21', names: FITR },
  { day: '2026-05-01', names: LABOUR },
  { day: '2026-05-27', names: ADHA },
  { day: '2026-05-28', names: ADHA },
  { day: '2026-06-16', names: HIJRI },
  { day: '2026-06-27', names: INDEPENDENCE },
  { day: '2026-06-28', names: INDEPENDENCE },
  { day: '2026-08-25', names: MAWLID },
  { day: '2026-12-25', names: CHRISTMAS },
  { day: '2027-01-01', names: NEW_YEAR },
  { day: '2027-01-05', names: ISRA },
  { day: '2027-03-10', names: FITR },
  { day: '2027-03-11', names: FITR },
  { day: '2027-05-01', names: LABOUR },
  { day: '2027-05-16', names: ADHA },
  { day: '2027-05-17', names: ADHA },
  { day: '2027-06-06', names: HIJRI },
  { day: '2027-06-27', names: INDEPENDENCE },
  { day: '2027-06-28', names: INDEPENDENCE },
  { day: '2027-08-14', names: MAWLID },
  { day: '2027-12-25', names: CHRISTMAS },
];

/** Djibouti's working week: Sunday to Thursday, 07:00 to 14:00. */
const SUN_TO_THU = [0, 1, 2, 3, 4].map((weekday) => ({ weekday, opensMinute: 7 * 60, closesMinute: 14 * 60 }));

/** Inspectors, hours and holidays of the Building Permits Department; running it again adds nothing. */
export async function seedDemoScheduler(db: Db): Promise<string[]> {
  const agency = await findAgencyByCode(db, AGENCY);
  if (!agency) return [];
  const created: string[] = [];
  const acting = { actor: SYSTEM_ACTOR, requestId: 'seed' };
  for (const inspector of DEMO_INSPECTORS) {
    if (await findResourceByCode(db, agency.id, inspector.code)) continue;
    const officer = inspector.officer ? await findUserByLogin(db, inspector.officer) : null;
    await addResource(db, { agencyId: agency.id, kind: 'inspector', code: inspector.code, name: inspector.name, officerUserId: officer?.id ?? null }, acting);
    created.push(`scheduler resource ${inspector.code}`);
  }
  if (created.length > 0) await setWorkingHours(db, { agencyId: agency.id, timezone: 'Africa/Djibouti', bufferMinutes: 30, ranges: SUN_TO_THU }, acting);
  const known = new Set((await holidaysOf(db, agency.id, '2026-01-01', '2027-12-31')).map((h) => h.day));
  for (const holiday of DJIBOUTI_HOLIDAYS.filter((h) => !known.has(h.day))) await setHoliday(db, agency.id, holiday, acting);
  return created;
}
