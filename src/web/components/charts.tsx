import type { ComponentChildren } from 'preact';
import { TableRegion } from './table-region.tsx';

export interface Bar {
  label: string;
  /** Null is a figure that cannot be shown (nothing to compute it from, or withheld): no bar. */
  value: number | null;
  /** What the table shows for the bar, formatted in the reader's language. */
  shown: string;
  href?: string;
}

const ROW = 28;
const LABEL_WIDTH = 220;
const BAR_WIDTH = 360;

/**
 * A horizontal bar chart drawn on the server, with the same numbers as a table beneath it. The
 * drawing is hidden from assistive technology: the table is what a screen reader reads, and what
 * anyone can copy.
 */
export function BarChart({ id, title, valueHeading, labelHeading, bars, max, children }: { id: string; title: string; valueHeading: string; labelHeading: string; bars: Bar[]; max?: number; children?: ComponentChildren }) {
  const top = Math.max(max ?? 0, ...bars.map((b) => b.value ?? 0), 1);
  const height = bars.length * ROW + 8;
  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <svg aria-hidden="true" focusable="false" viewBox={`0 0 ${LABEL_WIDTH + BAR_WIDTH + 80} ${height}`} width="100%" preserveAspectRatio="xMinYMin meet">
        {bars.map((bar, i) => {
          const y = i * ROW + 4;
          const width = bar.value === null ? 0 : Math.max(1, (bar.value / top) * BAR_WIDTH);
          return (
            <g>
              <text x={LABEL_WIDTH - 8} y={y + ROW / 2 + 4} text-anchor="end" font-size="13" fill="currentColor">{bar.label.length > 30 ? `${bar.label.slice(0, 29)}…` : bar.label}</text>
              <rect x={LABEL_WIDTH} y={y + 4} width={width} height={ROW - 10} fill="#1d5b8f" />
              <text x={LABEL_WIDTH + width + 6} y={y + ROW / 2 + 4} font-size="13" fill="currentColor">{bar.shown}</text>
            </g>
          );
        })}
      </svg>
      <TableRegion label={title}>
        <table>
          <thead>
            <tr>
              <th scope="col">{labelHeading}</th>
              <th scope="col">{valueHeading}</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar) => (
              <tr>
                <th scope="row">{bar.label}</th>
                <td>{bar.href ? <a href={bar.href}>{bar.shown}</a> : bar.shown}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {children}
    </figure>
  );
}
