import type { FastifyReply } from 'fastify';
import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { PageContext } from './page-context.ts';
import { Layout } from './layout.tsx';

export interface PageOptions {
  title: string;
  body: ComponentChildren;
  /** What a page adds to the document's head (its own script, say). */
  head?: ComponentChildren;
  /** Pages with personal data say so, and are never cached. */
  private?: boolean;
}

/** A whole HTML document. Preact escapes every text and attribute, so nothing user-supplied runs. */
export function renderPage(ctx: PageContext, page: PageOptions): string {
  const tree: VNode = <Layout ctx={ctx} title={page.title} head={page.head}>{page.body}</Layout>;
  return `<!doctype html>${renderToString(tree)}`;
}

/** Answer with a page: 200, or 400/409 when a form is shown again with what went wrong. */
export function sendPage(reply: FastifyReply, ctx: PageContext, page: PageOptions, status = 200) {
  return reply.code(status).type('text/html; charset=utf-8').send(renderPage(ctx, page));
}
