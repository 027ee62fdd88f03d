import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { type NotifyConfig, notifyConfig, notifyEnvironment } from './notify-config';
import { type OidcConfig, parseOidcSettings } from './oidc-config';
import { wholeNumber } from './env-values';
import { Secret } from './secret';
import { type TrustProxy, trustProxySchema } from './trust-proxy';

export type DatabaseKind = 'sqlite' | 'postgres';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: Secret; poolSize: number; statementTimeoutMs: number };

export type QueueConfig = { kind: 'in-process' } | { kind: 'redis'; url: Secret; prefix: string };

export interface GatehouseConfig {
  environment: 'development' | 'production' | 'test';
  /** Gatehouse's own version (package.json), recorded in every run manifest. */
  version: string;
  /** The commit the server runs (GATEHOUSE_GIT_COMMIT, set by the image build), if known. */
  gitCommit: string | null;
  runs: {
    /** Item jobs in flight per provider queue in each worker process. */
    itemConcurrency: number;
    /** Optional cap of item jobs per minute per provider across all workers. */
    maxItemsPerMinute: number | undefined;
    /**
     * Item jobs kept waiting in a provider's queue ahead of the workers: a run's items are enqueued a
     * page at a time while fewer wait (keep it above the item concurrency of all workers together).
     */
    fanOutAhead: number;
    reconcileEveryMs: number;
    /**
     * A platform run whose first this-many calls (per worker) all fail the same fatal way (401, 403, 404,
     * nothing listening, name not resolved) fails with that reason; 0 turns it off.
     */
    failFastAfter: number;
    /** A running run with no progress for this long is repaired by the reconciler. */
    stuckAfterMs: number;
    /**
     * Repairs of a running run in a row without a new result, after which the reconciler fails the run
     * with the reason (a run with no progress is failed after about (this + 1) × stuckAfterMs).
     */
    reconcileMaxAttempts: number;
    /** BullMQ lock and stall-check interval: a crashed worker's job is retried after up to about three times this. */
    lockMs: number;
    /** Where the embedded mode seeds example datasets, suites and cassettes from. */
    evalsDir: string;
  };
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** Limit for JSONL, YAML and text uploads (datasets, suites, cassettes). */
    maxUploadBytes: number;
    publicUrl: string;
    /** Express `trust proxy`: which proxies' X-Forwarded-* headers count (so `req.secure` works behind TLS). */
    trustProxy: TrustProxy;
  };
  /** The worker's own small HTTP server for /health and /metrics. */
  worker: { port: number };
  /** Live traffic: trace ingestion and the watch (see docs/live.md). */
  live: {
    /** The largest ingest request body (OTLP protobuf or JSON, the JSON endpoint, feedback). */
    maxIngestBytes: number;
    /** How long an ingest token's lookup (use case, settings, approved hash) is cached per process. */
    tokenCacheMs: number;
    /**
     * The ingest bytes (decompressed) one use case may send each second (to all API processes when the queue
     * runs on Redis, else to each), refilled into a bucket of `ingestBurstBytes`; past it the request is a 429
     * with Retry-After, read but never decoded. 0: no limit.
     */
    maxIngestBytesPerSecond: number;
    /** The bucket's size: at least `maxIngestBytes`, so one maximal body always fits an idle bucket. */
    ingestBurstBytes: number;
    /**
     * The least an ingest request is charged, however small its body: a request's fixed cost (authentication,
     * a transaction) is about what reading this many bytes costs, so tiny requests cannot be sent by the
     * thousand a second on a byte allowance. 0: charged its bytes only.
     */
    minIngestRequestBytes: number;
    /** How often the watch's pass runs (retention, drift, due re-evaluations, expiring evidence). */
    watchEveryMs: number;
    /**
     * The most model-judge calls a day any one use case's online scoring may spend (the operator's cap on
     * what the admin's connections cost; each team chooses its own budget up to it; 0: no online judges).
     */
    maxJudgeCallsPerDay: number;
  };
  dataDir: string;
  database: DatabaseConfig;
  autoMigrate: boolean;
  queue: QueueConfig;
  bootstrapAdminToken?: Secret;
  /** How long a new user's one-time enrolment token (exchanged for their own API token) stays valid. */
  enrolmentTtlHours: number;
  seedExamples: boolean;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  /** What evaluation targets on the platform may reach, and with what (see docs/security.md). */
  targets: {
    /**
     * Hosts, addresses or CIDR ranges (each optionally with :port) that connections may reach although
     * they are loopback, private or link-local (a self-hosted model server in the same network).
     */
    egressAllow: string[];
    /** The largest answer a target may give; a larger one errors the item with `response_too_large`. */
    maxResponseBytes: number;
    /** The operator's folder of LangChain modules; platform targets name a module in it, never a path. */
    langchainModulesDir: string | null;
  };
  /**
   * The key that encrypts connection secrets in the database (32 bytes, base64). Unset: embedded mode
   * keeps one in the data folder; with PostgreSQL connections cannot hold secrets until it is set.
   */
  secretsKey?: Secret;
  /** GOV.UK Notify e-mails and signed webhooks (see docs/notifications.md). */
  notify: NotifyConfig;
  /** Sign-in through the organisation's identity provider, or null (see docs/identity-provider.md). */
  oidc: OidcConfig | null;
  /** Whether /sign-in offers the API-token form (GATEHOUSE_WEB_TOKEN_SIGN_IN; always with no provider). */
  webTokenSignIn: boolean;
  /**
   * The environment evaluation targets and judges read their keys and header values from (a suite names
   * the variable, never the secret). Not enumerable, so it never appears when the config is printed.
   */
  readonly evalEnvironment: Readonly<Record<string, string | undefined>>;
}

/** Every problem found in the environment, so one boot attempt shows them all. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const bool = (fallback: boolean | undefined) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

const int = wholeNumber;

const urlWithScheme = (schemes: string[]) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || schemes.some((s) => v.startsWith(`${s}:`)), {
      message: `must start with ${schemes.map((s) => `${s}:`).join(' or ')}`,
    })
    .refine((v) => v === undefined || v === '' || !v.includes('://') || URL.canParse(v), {
      message: 'is not a valid URL',
    });

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  GATEHOUSE_WORKER_PORT: int(3001, 0, 65535),
  GATEHOUSE_PUBLIC_URL: z.url({ message: 'must be an absolute URL' }).optional(),
  GATEHOUSE_TRUST_PROXY: trustProxySchema,
  GATEHOUSE_MAX_BODY_BYTES: int(1_048_576, 1024, 512 * 1_048_576),
  GATEHOUSE_MAX_UPLOAD_BYTES: int(64 * 1_048_576, 1024, 2048 * 1_048_576),
  GATEHOUSE_DATA_DIR: z.string().min(1).default('.gatehouse'),
  DATABASE_URL: urlWithScheme(['postgres', 'postgresql', 'sqlite', 'file']),
  DATABASE_POOL_SIZE: int(10, 1, 200),
  DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  GATEHOUSE_AUTO_MIGRATE: bool(undefined),
  REDIS_URL: urlWithScheme(['redis', 'rediss']),
  GATEHOUSE_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 of a-z, 0-9, _ or -')
    .default('gatehouse'),
  GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters (use `openssl rand -base64 32`)')
    .max(200)
    .regex(/^[A-Za-z0-9_\-.~+/=]+$/, 'must be printable without spaces')
    .optional(),
  GATEHOUSE_ENROLMENT_TTL_HOURS: int(72, 1, 720),
  GATEHOUSE_SEED_EXAMPLES: bool(undefined),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GATEHOUSE_SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  GATEHOUSE_GIT_COMMIT: z
    .string()
    .regex(/^[0-9a-f]{7,40}$/, 'must be a git commit hash')
    .optional(),
  GATEHOUSE_ITEM_CONCURRENCY: int(50, 1, 2000),
  GATEHOUSE_MAX_ITEMS_PER_MINUTE: int(0, 0, 10_000_000),
  GATEHOUSE_FANOUT_AHEAD: int(2000, 10, 1_000_000),
  GATEHOUSE_RECONCILE_EVERY_MS: int(30_000, 100, 3_600_000),
  GATEHOUSE_STUCK_AFTER_MS: int(120_000, 100, 86_400_000),
  GATEHOUSE_FAIL_FAST_AFTER: int(10, 0, 100_000),
  GATEHOUSE_RECONCILE_MAX_ATTEMPTS: int(5, 1, 1000),
  GATEHOUSE_QUEUE_LOCK_MS: int(30_000, 500, 600_000),
  GATEHOUSE_INGEST_MAX_BYTES: int(4 * 1_048_576, 1024, 64 * 1_048_576),
  GATEHOUSE_INGEST_TOKEN_CACHE_MS: int(5_000, 0, 600_000),
  GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND: int(4 * 1_048_576, 0, 1024 * 1_048_576),
  // Unset (0): twice the rate. Set: 1 KiB to 2 GiB (raised to GATEHOUSE_INGEST_MAX_BYTES if below it).
  GATEHOUSE_INGEST_BURST_BYTES: int(0, 1024, 2048 * 1_048_576),
  GATEHOUSE_INGEST_MIN_REQUEST_BYTES: int(16_384, 0, 1_048_576),
  GATEHOUSE_WATCH_EVERY_MS: int(300_000, 100, 86_400_000),
  GATEHOUSE_LIVE_MAX_JUDGE_CALLS_PER_DAY: int(10_000, 0, 10_000),
  GATEHOUSE_EVALS_DIR: z.string().min(1).default('evals'),
  GATEHOUSE_EGRESS_ALLOW: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const entries = (v ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      for (const entry of entries) {
        const problem = egressEntryProblem(entry);
        if (problem) {
          ctx.addIssue({ code: 'custom', message: `${entry}: ${problem}` });
        }
      }
      return entries;
    }),
  GATEHOUSE_MAX_TARGET_RESPONSE_BYTES: int(1_048_576, 1024, 64 * 1_048_576),
  GATEHOUSE_LANGCHAIN_MODULES_DIR: z.string().min(1).optional(),
  GATEHOUSE_SECRETS_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
      message: 'must be 32 random bytes in base64 (use `openssl rand -base64 32`)',
    }),
  ...notifyEnvironment,
  TZ: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || v === 'UTC' || v === 'Etc/UTC', {
      message: 'must be UTC (stored times and hashes assume it) or unset',
    }),
});

export type Environment = Record<string, string | undefined>;

/** Which driver the environment selects; entity column types depend on it at import time. */
export function databaseKindFromEnvironment(env: Environment = process.env): DatabaseKind {
  return /^postgres(ql)?:/.test(env['DATABASE_URL'] ?? '') ? 'postgres' : 'sqlite';
}

/** The server the CLI's remote commands talk to: GATEHOUSE_URL and GATEHOUSE_TOKEN (either may be unset). */
export function remoteServerFromEnvironment(env: Environment = process.env): {
  url?: string;
  token?: string;
} {
  return { url: env['GATEHOUSE_URL'] || undefined, token: env['GATEHOUSE_TOKEN'] || undefined };
}

/**
 * Validates the environment once and returns the typed configuration. Throws a ConfigError listing
 * every bad variable. Defaults give the embedded mode: SQLite under .gatehouse/ and the in-process queue.
 */
export function loadConfig(env: Environment = process.env, cwd: string = process.cwd()): GatehouseConfig {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = environmentSchema.safeParse(blankAsUnset);
  const identityProvider = parseOidcSettings(blankAsUnset, cwd);
  if (!parsed.success || identityProvider.problems.length > 0) {
    throw new ConfigError([
      ...(parsed.success ? [] : parsed.error.issues).map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
      ...identityProvider.problems,
    ]);
  }
  const e = parsed.data;
  const dataDir = isAbsolute(e.GATEHOUSE_DATA_DIR)
    ? e.GATEHOUSE_DATA_DIR
    : resolve(cwd, e.GATEHOUSE_DATA_DIR);
  const database: DatabaseConfig =
    databaseKindFromEnvironment(blankAsUnset) === 'postgres'
      ? {
          kind: 'postgres',
          url: new Secret(e.DATABASE_URL as string),
          poolSize: e.DATABASE_POOL_SIZE,
          statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
        }
      : { kind: 'sqlite', file: sqliteFile(e.DATABASE_URL, dataDir, cwd) };
  const embedded = database.kind === 'sqlite';
  const config: Omit<GatehouseConfig, 'evalEnvironment'> = {
    environment: e.NODE_ENV,
    version: packageVersion(),
    gitCommit: e.GATEHOUSE_GIT_COMMIT ?? null,
    runs: {
      itemConcurrency: e.GATEHOUSE_ITEM_CONCURRENCY,
      maxItemsPerMinute: e.GATEHOUSE_MAX_ITEMS_PER_MINUTE || undefined,
      fanOutAhead: e.GATEHOUSE_FANOUT_AHEAD,
      reconcileEveryMs: e.GATEHOUSE_RECONCILE_EVERY_MS,
      stuckAfterMs: e.GATEHOUSE_STUCK_AFTER_MS,
      failFastAfter: e.GATEHOUSE_FAIL_FAST_AFTER,
      reconcileMaxAttempts: e.GATEHOUSE_RECONCILE_MAX_ATTEMPTS,
      lockMs: e.GATEHOUSE_QUEUE_LOCK_MS,
      evalsDir: isAbsolute(e.GATEHOUSE_EVALS_DIR)
        ? e.GATEHOUSE_EVALS_DIR
        : resolve(cwd, e.GATEHOUSE_EVALS_DIR),
    },
    http: {
      host: e.HOST,
      port: e.PORT,
      maxBodyBytes: e.GATEHOUSE_MAX_BODY_BYTES,
      maxUploadBytes: e.GATEHOUSE_MAX_UPLOAD_BYTES,
      publicUrl: (e.GATEHOUSE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
      trustProxy: e.GATEHOUSE_TRUST_PROXY,
    },
    worker: { port: e.GATEHOUSE_WORKER_PORT },
    live: {
      maxIngestBytes: e.GATEHOUSE_INGEST_MAX_BYTES,
      tokenCacheMs: e.GATEHOUSE_INGEST_TOKEN_CACHE_MS,
      maxIngestBytesPerSecond: e.GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND,
      // Twice the rate by default; never less than one maximal body (else that body could never be sent).
      ingestBurstBytes: Math.max(
        e.GATEHOUSE_INGEST_BURST_BYTES || 2 * e.GATEHOUSE_INGEST_MAX_BYTES_PER_SECOND,
        e.GATEHOUSE_INGEST_MAX_BYTES,
      ),
      minIngestRequestBytes: e.GATEHOUSE_INGEST_MIN_REQUEST_BYTES,
      watchEveryMs: e.GATEHOUSE_WATCH_EVERY_MS,
      maxJudgeCallsPerDay: e.GATEHOUSE_LIVE_MAX_JUDGE_CALLS_PER_DAY,
    },
    dataDir,
    database,
    autoMigrate: e.GATEHOUSE_AUTO_MIGRATE ?? embedded,
    queue: e.REDIS_URL
      ? { kind: 'redis', url: new Secret(e.REDIS_URL), prefix: e.GATEHOUSE_QUEUE_PREFIX }
      : { kind: 'in-process' },
    bootstrapAdminToken: e.GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN
      ? new Secret(e.GATEHOUSE_BOOTSTRAP_ADMIN_TOKEN)
      : undefined,
    enrolmentTtlHours: e.GATEHOUSE_ENROLMENT_TTL_HOURS,
    seedExamples: e.GATEHOUSE_SEED_EXAMPLES ?? (embedded && e.NODE_ENV !== 'production'),
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.GATEHOUSE_SHUTDOWN_TIMEOUT_MS,
    targets: {
      egressAllow: e.GATEHOUSE_EGRESS_ALLOW,
      maxResponseBytes: e.GATEHOUSE_MAX_TARGET_RESPONSE_BYTES,
      langchainModulesDir: e.GATEHOUSE_LANGCHAIN_MODULES_DIR
        ? resolve(cwd, e.GATEHOUSE_LANGCHAIN_MODULES_DIR)
        : null,
    },
    secretsKey: e.GATEHOUSE_SECRETS_KEY ? new Secret(e.GATEHOUSE_SECRETS_KEY) : undefined,
    notify: notifyConfig(e),
    ...identityProvider.settings,
  };
  return Object.defineProperty(config, 'evalEnvironment', {
    value: Object.freeze({ ...env }),
    enumerable: false,
  }) as GatehouseConfig;
}

/**
 * Why an egress allow-list entry is malformed, or null: an address, a CIDR range or a host name, each
 * optionally with a port (`10.0.0.0/8`, `models.internal:8000`, `[fd00::1]:8000`).
 */
export function egressEntryProblem(entry: string): string | null {
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(entry);
  const plain = /^([^:/\s]+|[0-9a-f:.]+)(?:\/(\d{1,3}))?(?::(\d{1,5}))?$/i.exec(entry);
  const port = bracketed?.[2] ?? plain?.[3];
  if (!bracketed && !plain && !isIP(entry.split('/')[0])) {
    return 'must be an address, a CIDR range or a host name, optionally with :port';
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return 'has a port outside 1-65535';
  }
  const prefix = plain?.[2] ?? entry.split('/')[1];
  if (prefix !== undefined) {
    const address = entry.split('/')[0];
    const family = isIP(address);
    if (!family || Number(prefix) > (family === 4 ? 32 : 128)) {
      return 'is not a valid CIDR range';
    }
  }
  return null;
}

/** The version in Gatehouse's package.json (this file runs from libs/config/src or dist/libs/config/src). */
function packageVersion(): string {
  for (const up of ['../../..', '../../../..']) {
    try {
      const manifest = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'gatehouse' && manifest.version) {
        return manifest.version;
      }
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

function sqliteFile(url: string | undefined, dataDir: string, cwd: string): string {
  if (!url) {
    return join(dataDir, 'gatehouse.sqlite');
  }
  const path = url.replace(/^(sqlite|file):(\/\/)?/, '');
  if (path === ':memory:') {
    return path;
  }
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** Stored times and audit hashes assume UTC; processes run with TZ=UTC. */
export function pinTimezoneToUtc(): void {
  process.env['TZ'] = 'UTC';
}
