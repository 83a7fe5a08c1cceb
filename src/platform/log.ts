import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config.ts';
import { redactUrl } from './http/server.ts';

/**
 * JSON logs, one line each. Credentials never reach them: auth and cookie headers, any field
 * named like a secret, and secret-bearing query parameters (reset tokens, OIDC codes) are redacted.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'daftari' },
      redact: {
        paths: [
          // Any logged headers, not only the request's: plugins log theirs (multipart at trace level).
          '*.headers.authorization',
          '*.headers.cookie',
          '*.headers["x-csrf-token"]',
          '*.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.secret',
          '*.passwordHash',
          '*.password_hash',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; headers?: Record<string, unknown> }) => ({
          method: req.method,
          url: redactUrl(req.url),
          ip: req.ip,
          userAgent: req.headers?.['user-agent'],
        }),
        err: pino.stdSerializers.err,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
