import { randomUUID } from 'node:crypto';
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import csrf from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import type { Logger } from 'pino';
import { checkAccess, type AccessRule, type Principal } from './access.ts';
import { registerBodyParsers } from './body-parsers.ts';
import { Problem, titleFor, type InvalidParam } from './problem.ts';
import { refuseUnstorableInput } from './storable-input.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
    /** Skip the CSRF check: only for endpoints called by other servers with their own proof (signed callbacks). */
    csrfExempt?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  log: Logger;
  bodyLimit: number;
  /** Largest accepted uploaded file. */
  uploadLimit: number;
  baseUrl: string;
  trustProxy: boolean;
  /** Identify the caller from cookies or headers; null when anonymous. */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null>;
  /** Render an error for a browser; when absent, or when the client prefers JSON, problem+json is sent. */
  renderErrorPage?(request: FastifyRequest, reply: FastifyReply, problem: Problem): Promise<string>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SENSITIVE_QUERY = /([?&](?:token|code|state|secret|password|otp|session_state|id_token)=)[^&#]*/gi;

/**
 * Requests whose multipart body is being read. @fastify/multipart reads it in a preValidation
 * hook, between two of ours, and fails on a malformed body with busboy's plain errors: those are
 * the client's mistake, not a server error.
 */
const readingMultipart = new WeakSet<FastifyRequest>();

export function redactUrl(url: string): string {
  return url.replace(SENSITIVE_QUERY, '$1[redacted]');
}

export async function createHttpServer(opts: HttpServerOptions): Promise<App> {
  const httpsOnly = opts.baseUrl.startsWith('https:');
  const stampResponse = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    if (httpsOnly || request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (request.principal && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  };
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit,
    trustProxy: opts.trustProxy,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, useDefaults: true, allowUnionTypes: true },
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // An address the router cannot decode, or with an over-long parameter, never reaches the hooks;
    // it is still refused as problem+json with its request id (no page: rendering one needs the hooks).
    frameworkErrors: (error, request, reply) => {
      stampResponse(request, reply);
      void sendProblem(request, reply, toProblem(error), { ...opts, renderErrorPage: undefined });
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.decorateRequest('principal', null);
  registerBodyParsers(app);
  registerErrorHandling(app, opts);

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    frameguard: { action: 'deny' },
  });
  // Once shutdown begins, answers close their connection, so keep-alive clients do not hold it open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    stampResponse(request, reply);
    if (closing) reply.header('connection', 'close');
  });

  await app.register(compress, { global: true, threshold: 512, encodings: ['br', 'gzip', 'deflate'] });
  await app.register(cookie);
  app.addHook('preValidation', async (request) => {
    if (request.isMultipart()) readingMultipart.add(request);
  });
  // Uploads are read into memory within tight limits, so handlers get whole, size-checked files.
  await app.register(multipart, {
    attachFieldsToBody: true,
    limits: { fileSize: opts.uploadLimit, files: 10, fields: 50, fieldSize: 64 * 1024, parts: 60 },
    throwFileSizeLimit: true,
  });
  app.addHook('preValidation', async (request) => {
    readingMultipart.delete(request);
  });
  app.addHook('preHandler', async (request) => {
    refuseUnstorableInput(request.params, '/params');
    refuseUnstorableInput(request.query, '/query');
    refuseUnstorableInput(request.body, '/body');
  });
  await app.register(csrf, {
    cookieKey: 'daftari_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: httpsOnly, signed: false },
    getToken: (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      const field = body && typeof body === 'object' ? body._csrf : undefined;
      // A multipart form field arrives as { value }, a urlencoded one as a string.
      const fromBody = typeof field === 'object' && field !== null && 'value' in field ? (field as { value: unknown }).value : field;
      const header = request.headers['x-csrf-token'];
      return typeof fromBody === 'string' ? fromBody : typeof header === 'string' ? header : undefined;
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Daftari API',
        version: '0.1.0',
        description: 'Open e-government services platform. Errors are application/problem+json (RFC 9457).',
      },
      servers: [{ url: opts.baseUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'daftari_session' },
          apiClient: { type: 'http', scheme: 'bearer', description: 'API client token: dft_<client id>_<secret>' },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const rule = route.config?.access;
      const described = { ...(schema ?? {}) } as Record<string, unknown>;
      described['x-access'] = rule ? describeRule(rule) : 'undeclared';
      if (rule && rule.kind !== 'public') described.security = [{ session: [] }, { apiClient: [] }];
      if (!Array.isArray(described.tags)) described.tags = [url.split('/').filter(Boolean)[url.startsWith('/api/') ? 1 : 0] ?? 'web'];
      return { schema: described as never, url };
    },
  });

  // Every route must say who may call it; a route without a rule is a programming error.
  const methodsByPath = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: false });
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.access) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no access rule (config.access)`);
    }
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      try {
        methodsByPath.on(method as never, route.url, () => undefined);
      } catch {
        // Already known: a route registered once per method shape.
      }
    }
  });
  app.decorate('allowedMethods', (url: string) => {
    const path = url.split('?')[0] ?? url;
    return ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => methodsByPath.find(m as never, path) !== null);
  });

  app.addHook('onRequest', async (request, reply) => {
    request.principal = await opts.authenticate(request, reply);
    const rule = request.routeOptions.config?.access;
    if (rule) checkAccess(rule, request.principal);
  });

  // Forms and cookie-authenticated calls must prove they come from our own pages.
  app.addHook('preHandler', (request, reply, done) => {
    if (!UNSAFE_METHODS.has(request.method) || request.routeOptions.config?.csrfExempt) return done();
    const contentType = request.headers['content-type'] ?? '';
    const isForm = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(contentType);
    const bySession = request.principal?.sessionId != null;
    if (!isForm && !bySession) return done();
    app.csrfProtection(request, reply, (err?: Error) => {
      done(err ? new Problem(403, 'The form has expired or did not come from this site. Reload the page and try again.', { title: 'Invalid form token' }) : undefined);
    });
  });

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    allowedMethods(url: string): string[];
  }
}

export function describeRule(rule: AccessRule): string {
  switch (rule.kind) {
    case 'public':
      return 'public';
    case 'signed-in':
      return 'signed-in';
    case 'roles':
      return `roles: ${rule.roles.join(', ')}`;
  }
}

function validationErrors(error: FastifyError): InvalidParam[] {
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  return (error.validation ?? []).map((v) => {
    let pointer = `/${context}${v.instancePath ?? ''}`;
    const params = v.params as Record<string, unknown>;
    if (typeof params.missingProperty === 'string') pointer += `/${params.missingProperty}`;
    if (typeof params.additionalProperty === 'string') {
      return { pointer: `${pointer}/${params.additionalProperty}`, reason: 'is not a known field' };
    }
    return { pointer, reason: v.message ?? 'is invalid' };
  });
}

function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  const err = error as FastifyError & { statusCode?: number };
  if (err.validation) {
    const errors = validationErrors(err);
    const detail = errors.map((e) => `${e.pointer} ${e.reason}`).join('; ');
    return new Problem(400, `The request is invalid: ${detail}.`, { title: 'Invalid request', errors });
  }
  // A unique index that caught a race between two identical requests: a conflict, not a crash.
  if ((error as { code?: unknown }).code === '23505') return Problem.conflict('This was just created or changed by another request. Reload and try again.');
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status >= 500) return new Problem(status, 'Something went wrong on our side. It has been logged; please try again.');
  const known: Record<string, string> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than this server accepts.',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This content type is not accepted here. Send application/json or a form.',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty; send a JSON document.',
    FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body.',
    FST_ERR_BAD_URL: 'The address is not correctly encoded.',
    FST_ERR_MAX_PARAM_LENGTH: 'A part of the address is longer than this server accepts.',
    FST_ERR_ASYNC_CONSTRAINT: 'The request could not be routed.',
  };
  return new Problem(status, known[err.code] ?? err.message ?? titleFor(status));
}

/** A browser asking for a page (not the API): it is answered with HTML, errors included. */
export function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html') && !request.url.startsWith('/api/');
}

async function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem, opts: HttpServerOptions) {
  reply.code(problem.status);
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  if (opts.renderErrorPage && prefersHtml(request)) {
    try {
      const html = await opts.renderErrorPage(request, reply, problem);
      return reply.type('text/html; charset=utf-8').send(html);
    } catch (err) {
      request.log.error({ err }, 'error page failed to render');
    }
  }
  return reply.type('application/problem+json; charset=utf-8').send(JSON.stringify(problem.toBody(redactUrl(request.url), request.id)));
}

function registerErrorHandling(app: App, opts: HttpServerOptions) {
  app.setErrorHandler(async (error, request, reply) => {
    const failure = error as FastifyError;
    const malformedForm = readingMultipart.has(request) && !failure.statusCode;
    const problem = malformedForm ? Problem.badRequest(`The multipart form could not be read: ${failure.message}.`) : toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: problem.status, detail: problem.detail }, 'request refused');
    return sendProblem(request, reply, problem, opts);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const allowed = app.allowedMethods(request.url);
    if (allowed.length > 0) {
      reply.header('allow', [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', '));
      return sendProblem(request, reply, new Problem(405, `${request.method} is not allowed here; use ${allowed.join(' or ')}.`), opts);
    }
    return sendProblem(request, reply, Problem.notFound(), opts);
  });
}
