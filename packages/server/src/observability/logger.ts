import { pino, type Logger } from 'pino';

/** The one root logger; requests log through children of it that carry their request id. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'moji' },
    redact: {
      paths: [
        'req.headers.authorization',
        'password',
        '*.password',
        'access_token',
        '*.access_token',
      ],
      censor: '[redacted]',
    },
  });
}
