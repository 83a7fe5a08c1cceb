/**
 * Errors as RFC 9457 problem details. Use cases throw `Problem`s; the HTTP layer renders them as
 * `application/problem+json` (or an HTML error page for browsers).
 */
export interface InvalidParam {
  /** JSON pointer to the failing field, e.g. `/body/email`. */
  pointer: string;
  reason: string;
  /** A stable code pages translate (`form.errors.<code>`), with the values its message needs; `reason` stays English. */
  code?: string;
  params?: Record<string, string | number>;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: InvalidParam[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign-in required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server error' : 'Request error');
}

export class Problem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: InvalidParam[] | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, detail: string, opts: { title?: string; errors?: InvalidParam[]; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = 'Problem';
    this.status = status;
    this.title = opts.title ?? titleFor(status);
    this.detail = detail;
    this.errors = opts.errors;
    this.extensions = opts.extensions ?? {};
    this.headers = opts.headers ?? {};
  }

  static badRequest(detail: string, errors?: InvalidParam[]) {
    return new Problem(400, detail, { errors });
  }
  static invalidField(pointer: string, reason: string, code?: string, params?: Record<string, string | number>) {
    return new Problem(400, `${pointer}: ${reason}`, { errors: [{ pointer, reason, ...(code ? { code } : {}), ...(params ? { params } : {}) }] });
  }
  static unauthorized(detail = 'Sign in to continue.') {
    return new Problem(401, detail);
  }
  static forbidden(detail = 'You are not allowed to do this.') {
    return new Problem(403, detail);
  }
  static notFound(detail = 'There is nothing at this address.') {
    return new Problem(404, detail);
  }
  static conflict(detail: string) {
    return new Problem(409, detail);
  }
  static tooManyRequests(detail: string, retryAfterSeconds: number) {
    return new Problem(429, detail, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }

  toBody(instance: string, requestId: string): ProblemBody {
    return {
      type: 'about:blank',
      title: this.title,
      status: this.status,
      detail: this.detail,
      instance,
      requestId,
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}
