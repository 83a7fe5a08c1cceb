import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, hasRole, requirePrincipal } from '../../platform/http/access.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import { actorOf } from '../../blocks/audit/index.ts';
// The block's own files rather than its index: the index registers these pages.
import { requeueMessage } from '../../blocks/messaging/messenger.ts';
import { maskRecipient } from '../../blocks/messaging/recipients.ts';
import { countByStatus, eventsOf, listMessages, STATUSES, type EventRow, type MessageRow, type MessageStatus } from '../../blocks/messaging/store.ts';
import { CsrfField, FormText } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

const PAGE_SIZE = 20;
const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
const Status = Type.Union(STATUSES.map((s) => Type.Literal(s)));

const EVENT_KEYS: Record<EventRow['kind'], string> = {
  queued: 'queued',
  'attempt-failed': 'attemptFailed',
  sent: 'sent',
  delivered: 'delivered',
  failed: 'failed',
  requeued: 'requeued',
};

function When({ ctx, at }: { ctx: PageContext; at: Date }) {
  return <time dateTime={at.toISOString()}>{formatDateTime(ctx.locale, at)}</time>;
}

function StatusTag({ ctx, status }: { ctx: PageContext; status: MessageStatus }) {
  return <span class={`tag message-${status}`}>{ctx.t(`messaging.status.${status}`)}</span>;
}

interface OutboxFilters {
  channel?: 'email' | 'sms';
  status?: MessageStatus;
}

function FilterForm({ ctx, filters }: { ctx: PageContext; filters: OutboxFilters }) {
  const { t } = ctx;
  return (
    <form method="get" action="/outbox" class="filters">
      <div>
        <label for="channel">{t('messaging.outbox.channel')}</label>
        <select id="channel" name="channel">
          <option value="">{t('messaging.outbox.any')}</option>
          {(['email', 'sms'] as const).map((c) => <option value={c} selected={c === filters.channel}>{t(`messaging.channel.${c}`)}</option>)}
        </select>
      </div>
      <div>
        <label for="status">{t('messaging.outbox.status')}</label>
        <select id="status" name="status">
          <option value="">{t('messaging.outbox.any')}</option>
          {STATUSES.map((s) => <option value={s} selected={s === filters.status}>{t(`messaging.status.${s}`)}</option>)}
        </select>
      </div>
      <div><button type="submit">{t('messaging.outbox.apply')}</button></div>
    </form>
  );
}

/** One message as its recipient reads it, with how it fared: a person sees their own address, anyone else a masked one. */
function MessageCard({ ctx, message, events }: { ctx: PageContext; message: MessageRow; events: EventRow[] }) {
  const { t } = ctx;
  const own = message.user_id !== null && message.user_id === ctx.principal?.id;
  const headingId = `message-${message.id}`;
  return (
    <li>
      <article class="message" aria-labelledby={headingId}>
        <h2 id={headingId} lang={message.subject ? message.locale : undefined} dir={message.subject ? 'auto' : undefined}>{message.subject ?? t('messaging.channel.sms')}</h2>
        <dl class="facts">
          <dt>{t('messaging.outbox.channel')}</dt>
          <dd>{t(`messaging.channel.${message.channel}`)}</dd>
          <dt>{t('messaging.outbox.to')}</dt>
          <dd><bdi>{own ? message.recipient : maskRecipient(message.recipient)}</bdi></dd>
          <dt>{t('messaging.outbox.status')}</dt>
          <dd><StatusTag ctx={ctx} status={message.status} /></dd>
          {message.template && (
            <>
              <dt>{t('messaging.outbox.template')}</dt>
              <dd><code>{message.template}</code></dd>
            </>
          )}
        </dl>
        <div class="message-body" lang={message.locale} dir="auto">{message.body}</div>
        <h3>{t('messaging.outbox.timeline')}</h3>
        <ol class="timeline">
          {events.map((e) => (
            <li>
              <When ctx={ctx} at={e.occurred_at} /> {t(`messaging.event.${EVENT_KEYS[e.kind]}`)}
              {e.detail && <span class="muted"> ({e.detail})</span>}
            </li>
          ))}
        </ol>
      </article>
    </li>
  );
}

function OutboxPage({ ctx, all, filters, messages, events, nextHref, phoneInbox }: { ctx: PageContext; all: boolean; filters: OutboxFilters; messages: MessageRow[]; events: Map<string, EventRow[]>; nextHref: string | null; phoneInbox: string | null }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('messaging.outbox.title')}</h1>
      <p class="lead">{t(all ? 'messaging.outbox.leadAll' : 'messaging.outbox.lead')}</p>
      {phoneInbox && <p><a href={phoneInbox}>{t('messaging.outbox.phoneInbox')}</a></p>}
      <FilterForm ctx={ctx} filters={filters} />
      {messages.length === 0 ? (
        <p>{t('messaging.outbox.none')}</p>
      ) : (
        <ol class="messages">
          {messages.map((m) => <MessageCard ctx={ctx} message={m} events={events.get(m.id) ?? []} />)}
        </ol>
      )}
      {nextHref && <p class="pager"><a href={nextHref}>{t('messaging.outbox.older')}</a></p>}
    </>
  );
}

function FailedMessagesPage({ ctx, counts, messages, notice }: { ctx: PageContext; counts: Record<MessageStatus, number>; messages: MessageRow[]; notice: string | null }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('messaging.admin.title')}</h1>
      <p class="lead">{t('messaging.admin.lead')}</p>
      {notice && <p class="notice" role="status">{notice}</p>}
      <h2>{t('messaging.admin.counts')}</h2>
      <ul class="inline-list">
        {STATUSES.map((s) => (
          <li><a href={`/outbox?status=${s}`}>{t(`messaging.status.${s}`)}</a>: <strong>{counts[s]}</strong></li>
        ))}
      </ul>
      {messages.length === 0 ? (
        <p>{t('messaging.admin.none')}</p>
      ) : (
        <TableRegion label={t('messaging.admin.title')}>
          <table>
            <caption class="muted">{t('messaging.admin.caption', { count: messages.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('messaging.outbox.queuedAt')}</th>
                <th scope="col">{t('messaging.outbox.channel')}</th>
                <th scope="col">{t('messaging.outbox.to')}</th>
                <th scope="col">{t('messaging.outbox.template')}</th>
                <th scope="col">{t('messaging.admin.reason')}</th>
                <th scope="col">{t('messaging.admin.lastError')}</th>
                <th scope="col">{t('messaging.admin.attempts')}</th>
                <th scope="col">{t('messaging.admin.retry')}</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => (
                <tr>
                  <td><When ctx={ctx} at={m.created_at} /></td>
                  <td>{t(`messaging.channel.${m.channel}`)}</td>
                  <td><bdi>{maskRecipient(m.recipient)}</bdi></td>
                  <td>{m.template && <code>{m.template}</code>}</td>
                  <td>{m.failure && t(`messaging.failure.${m.failure}`)}</td>
                  <td>{m.last_error}</td>
                  <td>{m.attempts}</td>
                  <td>
                    <form method="post" action={`/admin/messages/${m.id}/retry`}>
                      <CsrfField ctx={ctx} />
                      <button class="secondary" type="submit" aria-label={t('messaging.admin.retryMessage', { to: maskRecipient(m.recipient) })}>{t('messaging.admin.retry')}</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}

export interface MessagingPagesDeps {
  db: Db;
  jobs: JobQueue;
  oidcLabel: string | null;
  /** In demo mode, the simulated phone's address, linked from the outbox for administrators. */
  phoneInbox: string | null;
}

/** The outbox (each person's messages; every message for an administrator) and the failed-messages list. */
export function messagingPages({ db, jobs, oidcLabel, phoneInbox }: MessagingPagesDeps) {
  return async (app: App) => {
    app.get('/outbox', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Messages: those sent to me (every message, for an administrator), each with its delivery log',
        tags: ['web'],
        querystring: Type.Object({
          channel: Type.Optional(Type.Union([Type.Literal(''), Channel])),
          status: Type.Optional(Type.Union([Type.Literal(''), Status])),
          before: Type.Optional(Type.String({ format: 'uuid' })),
          lang: FormText(5),
        }),
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const all = hasRole(principal, 'admin', null);
        const filters: OutboxFilters = { channel: request.query.channel || undefined, status: request.query.status || undefined };
        const messages = await listMessages(db, { ...filters, userId: all ? undefined : principal.id, before: request.query.before, limit: PAGE_SIZE });
        const events = await eventsOf(db, messages.map((m) => m.id));
        const next = new URLSearchParams({ ...(filters.channel ? { channel: filters.channel } : {}), ...(filters.status ? { status: filters.status } : {}) });
        if (messages.length === PAGE_SIZE) next.set('before', messages.at(-1)!.id);
        const ctx = pageContext(request, reply, oidcLabel);
        const body = <OutboxPage ctx={ctx} all={all} filters={filters} messages={messages} events={events} nextHref={messages.length === PAGE_SIZE ? `/outbox?${next}` : null} phoneInbox={all ? phoneInbox : null} />;
        return sendPage(reply, ctx, { title: ctx.t('messaging.outbox.title'), body, private: true });
      },
    });

    app.get('/admin/messages', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Failed messages, to send again once the cause is fixed', tags: ['web'], querystring: Type.Object({ done: FormText(20), lang: FormText(5) }) },
      handler: async (request, reply) => {
        const [counts, failed] = await Promise.all([countByStatus(db), listMessages(db, { status: 'failed', limit: 100 })]);
        const ctx = pageContext(request, reply, oidcLabel);
        const notice = request.query.done === 'retried' ? ctx.t('messaging.admin.retried') : null;
        return sendPage(reply, ctx, { title: ctx.t('messaging.admin.title'), body: <FailedMessagesPage ctx={ctx} counts={counts} messages={failed} notice={notice} />, private: true });
      },
    });

    app.post('/admin/messages/:id/retry', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Send a failed message again (form)', tags: ['web'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }), body: Type.Object({ _csrf: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        await requeueMessage(db, jobs, request.params.id, { actor: actorOf(request.principal), requestId: request.id });
        return reply.redirect('/admin/messages?done=retried', 303);
      },
    });
  };
}
