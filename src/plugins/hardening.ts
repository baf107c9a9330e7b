/**
 * Security headers on every answer (helmet), `Cache-Control: no-store` on
 * the API's answers, and a rate limit per API key. Registered before auth,
 * so that a flood of requests with a bad key is limited like any other.
 */
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { hashKey } from '../features/api-keys/service.js';
import { AppError } from '../lib/errors.js';

export interface HardeningOptions {
  /** Requests per minute per API key, or per client IP for requests without a valid one. */
  rateLimit: number;
}

export class RateLimitedError extends AppError {
  constructor(detail: string) {
    super(429, 'rate_limited', 'Too many requests', detail);
  }
}

/** Swagger UI is served under this prefix; it gets its own policy and may be cached. */
const DOCS_PREFIX = '/docs';

/** Liveness and readiness probes must never be refused, however often they come. */
export const NOT_LIMITED: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** The same pattern the auth plugin reads the key with. */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The limiter's bucket: the SHA-256 of a valid API key (the key itself is
 * never kept), or the client's IP for a request without one. A token that
 * is not a valid key counts against the address it came from: were each
 * made-up token its own bucket, a client could send every request with a
 * fresh one and never be limited. Behind a proxy the IP is the proxy's
 * unless Fastify's trustProxy is set.
 */
export async function rateLimitKey(request: FastifyRequest, isValidKey: (token: string) => boolean | Promise<boolean>): Promise<string> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  return match && (await isValidKey(match[1]!)) ? `key:${hashKey(match[1]!)}` : `ip:${normalizeIP(request.ip)}`;
}

interface Window {
  current: number;
  ttl: number;
  startMs: number;
}

/** The limiter's fixed windows for one kind of bucket; past `capacity`, the least recently used goes. */
class Windows {
  private readonly map = new Map<string, Window>();
  constructor(private readonly capacity: number) {}

  incr(bucket: string, timeWindow: number): Window {
    const now = Date.now();
    let window = this.map.get(bucket);
    if (window === undefined || window.startMs + timeWindow <= now) {
      window = { current: 1, ttl: timeWindow, startMs: now };
    } else {
      window.current += 1;
      window.ttl = timeWindow - (now - window.startMs);
    }
    // Delete and set again: the Map's order is then least recently used first.
    this.map.delete(bucket);
    this.map.set(bucket, window);
    // The least recently used goes: an expired window is as good as none, wherever it sits.
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return window;
  }

  read(bucket: string, timeWindow: number): { current: number; ttl: number } {
    const window = this.map.get(bucket);
    const now = Date.now();
    if (window === undefined || window.startMs + timeWindow <= now) return { current: 0, ttl: 0 };
    return { current: window.current, ttl: timeWindow - (now - window.startMs) };
  }
}

/** Client addresses the limiter keeps a window for: a client sending from more may reset one of its own. */
const ADDRESS_WINDOWS = 10_000;

/**
 * The limiter's store: valid keys' windows apart from addresses' windows.
 * Only a valid key gets a `key:` bucket, so that store holds at most one
 * window per issued key and needs no eviction; a flood from many addresses
 * can only push out other addresses' windows, never a key's count.
 */
export class BucketStore {
  private readonly keys = new Windows(Number.POSITIVE_INFINITY);
  private readonly addresses = new Windows(ADDRESS_WINDOWS);

  private windowsOf(bucket: string): Windows {
    return bucket.startsWith('key:') ? this.keys : this.addresses;
  }

  incr(bucket: string, done: (error: Error | null, result: { current: number; ttl: number }) => void, timeWindow: number): void {
    const { current, ttl } = this.windowsOf(bucket).incr(bucket, timeWindow);
    done(null, { current, ttl });
  }

  read(bucket: string, done: (error: Error | null, result: { current: number; ttl: number }) => void, timeWindow: number): void {
    done(null, this.windowsOf(bucket).read(bucket, timeWindow));
  }

  child(): BucketStore {
    return new BucketStore();
  }
}

/**
 * The API answers JSON and CSV, never a page: nothing may load, run, frame
 * or submit from one of its answers (OWASP's policy for REST APIs).
 */
const API_CSP = {
  useDefaults: false,
  directives: {
    'default-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  },
};

/**
 * Swagger UI loads its scripts, styles, fonts and the document from this
 * origin, shows its logo as a data: image, and "Try it out" calls the API
 * here. It has no inline script, so scripts stay 'self' only; styles allow
 * 'unsafe-inline' because the UI's markdown and components may carry style
 * attributes and a style cannot run code. No upgrade-insecure-requests:
 * the service listens on plain HTTP by default (127.0.0.1) and the UI must
 * load there.
 */
const DOCS_CSP = {
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
  },
};

/**
 * The dashboard (GET / and /dashboard/*): server-rendered HTML with inline
 * SVG charts, one stylesheet from this origin, and no script at all. Its
 * charts' style attributes are rewritten into SVG presentation attributes
 * (features/dashboard/charts.ts), so no inline style is needed either.
 */
const DASHBOARD_CSP = {
  useDefaults: false,
  directives: {
    'default-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'"],
    'style-src': ["'self'"],
    'script-src': ["'none'"],
    'object-src': ["'none'"],
  },
};

export function isDashboardUrl(url: string): boolean {
  return url === '/' || url.startsWith('/dashboard/');
}

export default fp<HardeningOptions>(
  async (app, options) => {
    // Added before helmet's own onRoute hook, so that helmet reads the
    // route's `helmet` option we set here: swagger UI gets its policy.
    app.addHook('onRoute', (route) => {
      if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) {
        route.helmet = { contentSecurityPolicy: DOCS_CSP };
      } else if (isDashboardUrl(route.url)) {
        route.helmet = { contentSecurityPolicy: DASHBOARD_CSP };
      }
    });
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: API_CSP,
      frameguard: { action: 'deny' },
    });

    // Cache-Control: no-store on everything but swagger UI's static files.
    // Reports are money and each answer depends on the caller's key: no
    // shared or browser cache may keep them, or replay one to another
    // caller after the data changed. The report cache lives in the server,
    // where new data invalidates it. Set before the handler, so that an
    // error answer has it too and a route could still choose otherwise.
    app.addHook('onRequest', async (request, reply) => {
      const url = request.routeOptions.url;
      if (url !== undefined && (url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`))) return;
      reply.header('cache-control', 'no-store');
    });

    // global: false and one application-level onRequest hook instead of the
    // plugin's per-route hooks: Fastify runs route-level hooks after every
    // application hook, that is after auth, and a bad key's 401 must count.
    // The 404 handler gets the hook too, so guessing URLs is limited.
    await app.register(rateLimit, {
      global: false,
      max: options.rateLimit,
      timeWindow: 60_000,
      // The auth plugin's key cache answers whether a token is a key (a
      // database lookup the first time, which auth would make anyway).
      keyGenerator: (request) => rateLimitKey(request, async (token) => (await request.server.apiKeys.authenticate(token)) !== null),
      store: BucketStore,
      allowList: (request) => request.routeOptions.url !== undefined && NOT_LIMITED.has(request.routeOptions.url),
      // Thrown by the limiter after it set Retry-After and the x-ratelimit
      // headers; the errors plugin turns it into problem+json.
      errorResponseBuilder: (_request, context) =>
        new RateLimitedError(
          `more than ${context.max} requests in a minute with this API key (or, without a valid one, from this address); retry in ${context.after}`,
        ),
    });
    app.addHook('onRequest', app.rateLimit());
  },
  { name: 'spendbook-hardening', dependencies: ['spendbook-errors'] },
);
