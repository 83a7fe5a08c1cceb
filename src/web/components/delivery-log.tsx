import { formatDateTime } from '../../platform/i18n/index.ts';
import { maskRecipient, type MessageView } from '../../blocks/messaging/index.ts';
import type { PageContext } from '../page-context.ts';
import { TableRegion } from './table-region.tsx';

/**
 * The messages sent about a record (an application, say), for the staff working it: by which
 * channel, to whom (masked: staff need to tell recipients apart, not to write to them), from which
 * template, and how far each got. `messagesAbout` gives the list.
 */
export function DeliveryLog({ ctx, messages }: { ctx: PageContext; messages: MessageView[] }) {
  const { t } = ctx;
  if (messages.length === 0) return <p class="muted">{t('messaging.log.none')}</p>;
  return (
    <TableRegion label={t('messaging.log.title')}>
      <table>
        <caption>{t('messaging.log.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('messaging.outbox.channel')}</th>
            <th scope="col">{t('messaging.outbox.to')}</th>
            <th scope="col">{t('messaging.outbox.template')}</th>
            <th scope="col">{t('messaging.outbox.status')}</th>
            <th scope="col">{t('messaging.outbox.queuedAt')}</th>
            <th scope="col">{t('messaging.log.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {messages.map((m) => (
            <tr>
              <td>{t(`messaging.channel.${m.channel}`)}</td>
              <td><bdi>{maskRecipient(m.to)}</bdi></td>
              <td>{m.template && <code>{m.template}</code>}</td>
              <td>
                <span class={`tag message-${m.status}`}>{t(`messaging.status.${m.status}`)}</span>
                {m.error && <span class="hint">{m.error}</span>}
              </td>
              <td><time dateTime={m.createdAt.toISOString()}>{formatDateTime(ctx.locale, m.createdAt)}</time></td>
              <td><time dateTime={m.updatedAt.toISOString()}>{formatDateTime(ctx.locale, m.updatedAt)}</time></td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
