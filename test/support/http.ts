import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { CookieJar, csrfFrom, type TestApp } from './app.ts';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: { pointer: string; reason: string }[];
}

/** The response is an RFC 9457 problem with this status, and its body says so too. */
export function assertProblem(response: LightMyRequestResponse, status: number): ProblemDocument {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/, response.body);
  const body = JSON.parse(response.body) as ProblemDocument;
  assert.equal(body.status, status);
  assert.ok(body.detail.length > 0, 'a problem has a detail');
  return body;
}

/** A page with a form, as a browser gets it: its cookies (CSRF secret included) and its token. */
export async function openForm(app: TestApp, url: string, jar = new CookieJar()): Promise<{ jar: CookieJar; csrf: string; body: string }> {
  const page = await app.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } });
  assert.equal(page.statusCode, 200, `GET ${url}: ${page.body.slice(0, 300)}`);
  jar.store(page);
  return { jar, csrf: csrfFrom(page.body), body: page.body };
}

/** Submit a form the way a browser does: URL-encoded, with the jar's cookies, keeping what it sets. */
export async function postForm(app: TestApp, jar: CookieJar, url: string, fields: Record<string, string>, remoteAddress?: string): Promise<LightMyRequestResponse> {
  const response = await app.app.inject({
    method: 'POST',
    url,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    payload: new URLSearchParams(fields).toString(),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  jar.store(response);
  return response;
}

/** The value a Set-Cookie header gives a cookie, with its attributes, or undefined. */
export function setCookie(response: LightMyRequestResponse, name: string): string | undefined {
  const raw = response.headers['set-cookie'];
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return lines.filter((line) => line.startsWith(`${name}=`)).at(-1);
}

export interface FormPart {
  name: string;
  value?: string;
  /** A file: its name as the browser sends it, and its bytes. */
  file?: { name: string; content: Buffer | string; type?: string };
}

/** Submit a multipart form the way a browser does (a file input left empty is sent with no file name). */
export async function postMultipart(app: TestApp, jar: CookieJar, url: string, parts: FormPart[]): Promise<LightMyRequestResponse> {
  const boundary = '----daftari-form-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = part.file
      ? `Content-Disposition: form-data; name="${part.name}"; filename="${part.file.name}"\r\nContent-Type: ${part.file.type ?? 'application/octet-stream'}\r\n`
      : `Content-Disposition: form-data; name="${part.name}"\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\n${head}\r\n`), Buffer.from(part.file ? part.file.content : (part.value ?? '')), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const response = await app.app.inject({
    method: 'POST',
    url,
    headers: { cookie: jar.header(), 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'text/html' },
    payload: Buffer.concat(chunks),
  });
  jar.store(response);
  return response;
}
