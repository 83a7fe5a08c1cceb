import { STATUSES, type DigitisationHistoryRow } from '../../blocks/catalogue/index.ts';
import { formatNumber } from '../../platform/i18n/index.ts';
import type { PageContext } from '../page-context.ts';
import { BarChart } from './charts.tsx';
import { TableRegion } from './table-region.tsx';

type Totals = Record<(typeof STATUSES)[number], number>;

/** Rows per month and agency summed per month, in month order. */
function perMonth(rows: DigitisationHistoryRow[]): { month: string; totals: Totals; all: number }[] {
  const months = new Map<string, Totals>();
  for (const row of rows) {
    const totals = months.get(row.month) ?? { paper: 0, 'partly-online': 0, 'fully-online': 0 };
    for (const status of STATUSES) totals[status] += row[status];
    months.set(row.month, totals);
  }
  return [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, totals]) => ({ month, totals, all: STATUSES.reduce((n, s) => n + totals[s], 0) }));
}

/**
 * The register of services month by month: a chart of the share fully online, and every status's
 * count as a table. A service counts from the month it was first recorded.
 */
export function DigitisationHistory({ ctx, rows, openData }: { ctx: PageContext; rows: DigitisationHistoryRow[]; openData?: { from: string; to: string } }) {
  const { t } = ctx;
  const months = perMonth(rows);
  const monthName = (month: string) => new Intl.DateTimeFormat(ctx.locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
  const online = (m: (typeof months)[number]) => (m.all > 0 ? Math.round((m.totals['fully-online'] / m.all) * 100) : null);
  const data = (path: string) => `${path}?${new URLSearchParams(openData)}`;
  return (
    <section aria-labelledby="digitisation-title">
      <h2 id="digitisation-title">{t('catalogue.history.title')}</h2>
      <p>{t('catalogue.history.about')}</p>
      {months.length === 0 ? (
        <p>{t('catalogue.history.nothing')}</p>
      ) : (
        <>
          <BarChart
            id="digitisation"
            title={t('catalogue.history.chart')}
            labelHeading={t('catalogue.history.month')}
            valueHeading={t('catalogue.history.fullyOnlineShare')}
            max={100}
            bars={months.map((m) => ({ label: monthName(m.month), value: online(m), shown: online(m) === null ? '—' : t('catalogue.history.percent', { value: online(m) }) }))}
          />
          <TableRegion label={t('catalogue.history.table')}>
            <table>
              <caption>{t('catalogue.history.table')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('catalogue.history.month')}</th>
                  {STATUSES.map((s) => <th scope="col">{t(`catalogue.statuses.${s}`)}</th>)}
                  <th scope="col">{t('catalogue.total')}</th>
                </tr>
              </thead>
              <tbody>
                {months.map((m) => (
                  <tr>
                    <th scope="row">{monthName(m.month)}</th>
                    {STATUSES.map((s) => <td>{formatNumber(ctx.locale, m.totals[s])}</td>)}
                    <td>{formatNumber(ctx.locale, m.all)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </>
      )}
      {openData && (
        <ul>
          <li><a href={data('/api/catalogue/digitisation/history.csv')}>{t('catalogue.history.csv')}</a></li>
          <li><a href={data('/api/catalogue/digitisation/history')}>{t('catalogue.history.json')}</a></li>
        </ul>
      )}
    </section>
  );
}
