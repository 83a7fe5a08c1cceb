import type { ComponentChildren } from 'preact';

/**
 * A wide table scrolls sideways on a phone. Without JavaScript we cannot tell whether it does, so
 * the scroll box is always a named, focusable region: keyboard users can then scroll it (WCAG 2.1.1).
 */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
