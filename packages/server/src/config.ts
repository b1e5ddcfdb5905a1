import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const limit = z.coerce.number().int().min(0);
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().default('127.0.0.1'),
  NODE_ENV: optionalText,
  DATABASE_URL: optionalText,
  MOJI_DATA_DIR: z.string().default('.moji'),
  REDIS_URL: optionalText,
  JWT_SECRET: optionalText,
  JWT_EXPIRES_IN: positiveInt.default(86400),
  RATE_LIMIT_PER_HOUR: limit.default(100),
  AUTH_LIMIT_PER_MINUTE: limit.default(30),
  LOGIN_FAILURES_PER_HOUR: limit.default(10),
  TRUST_PROXY: z
    .enum(['', '0', '1', 'false', 'true', 'off', 'on'])
    .default('')
    .transform((value) => ['1', 'true', 'on'].includes(value)),
  LLM_BASE_URL: optionalText,
  LLM_API_KEY: optionalText,
  MOJI_MODELS: optionalText,
  DEFAULT_MODEL: z.string().min(1).default('deepseek-r1'),
  UPSTREAM_TIMEOUT_MS: positiveInt.default(120_000),
  STREAM_KEEPALIVE_MS: positiveInt.default(15_000),
  ADMIN_USERNAME: optionalText,
  ADMIN_PASSWORD: optionalText,
  ADMIN_EMAIL: optionalText,
  BODY_LIMIT_BYTES: positiveInt.default(8 * 1024 * 1024),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  CORS_ORIGINS: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The server's settings, read from the environment once at start-up. */
export interface Config {
  port: number;
  host: string;
  isProduction: boolean;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  jwtSecret: string;
  jwtExpiresIn: number;
  rateLimitPerHour: number;
  authLimitPerMinute: number;
  loginFailuresPerHour: number;
  trustProxy: boolean;
  llmBaseUrl: string | undefined;
  llmApiKey: string | undefined;
  modelsJson: string | undefined;
  defaultModel: string;
  upstreamTimeoutMs: number;
  /** Upstream silence after which a stream gets a `: keep-alive` comment. */
  streamKeepAliveMs: number;
  admin: { username: string; password: string; email: string } | undefined;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  corsOrigins: string[];
  logLevel: string;
  /** Every variable as read, for providers that name their own key variables. */
  env: Readonly<Record<string, string | undefined>>;
}

/** A setting that stops the server from starting, with a message for the operator. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function readOrCreateDevSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });

    return secret;
  }
}

/** Reads and checks the configuration; throws ConfigError with a clear message when it is wrong. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const isProduction = vars.NODE_ENV === 'production';
  const dataDir = resolve(vars.MOJI_DATA_DIR);

  const adminParts = [vars.ADMIN_USERNAME, vars.ADMIN_PASSWORD, vars.ADMIN_EMAIL];
  const adminSet = adminParts.filter((part) => part !== undefined).length;
  if (adminSet > 0 && adminSet < 3) {
    throw new ConfigError('ADMIN_USERNAME, ADMIN_PASSWORD and ADMIN_EMAIL must be set together');
  }
  if (isProduction && !vars.JWT_SECRET) {
    throw new ConfigError('JWT_SECRET must be set when NODE_ENV=production');
  }
  if (isProduction && vars.ADMIN_PASSWORD !== undefined && vars.ADMIN_PASSWORD.length < 12) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 12 characters when NODE_ENV=production');
  }
  if (vars.JWT_SECRET !== undefined && Buffer.byteLength(vars.JWT_SECRET) < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 bytes');
  }

  return {
    port: vars.PORT,
    host: vars.HOST,
    isProduction,
    databaseUrl: vars.DATABASE_URL,
    dataDir,
    redisUrl: vars.REDIS_URL,
    jwtSecret: vars.JWT_SECRET ?? readOrCreateDevSecret(dataDir),
    jwtExpiresIn: vars.JWT_EXPIRES_IN,
    rateLimitPerHour: vars.RATE_LIMIT_PER_HOUR,
    authLimitPerMinute: vars.AUTH_LIMIT_PER_MINUTE,
    loginFailuresPerHour: vars.LOGIN_FAILURES_PER_HOUR,
    trustProxy: vars.TRUST_PROXY,
    llmBaseUrl: vars.LLM_BASE_URL,
    llmApiKey: vars.LLM_API_KEY,
    modelsJson: vars.MOJI_MODELS,
    defaultModel: vars.DEFAULT_MODEL,
    upstreamTimeoutMs: vars.UPSTREAM_TIMEOUT_MS,
    streamKeepAliveMs: vars.STREAM_KEEPALIVE_MS,
    admin:
      adminSet === 3
        ? {
            username: vars.ADMIN_USERNAME!,
            password: vars.ADMIN_PASSWORD!,
            email: vars.ADMIN_EMAIL!,
          }
        : undefined,
    bodyLimitBytes: vars.BODY_LIMIT_BYTES,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
    corsOrigins: (vars.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    logLevel: vars.LOG_LEVEL,
    env: { ...env },
  };
}
