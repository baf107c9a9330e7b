/**
 * Dashboard sessions: a signed, HttpOnly, SameSite=Strict cookie that names
 * the API key it was started with, when it started and when it was last
 * used. Nothing is stored per session: every request checks the signature,
 * the idle and absolute limits, and that the key is still active in the
 * database, so a revoked key ends its sessions at once, on every instance.
 * Stored sessions would also cost a write per page view, and any write
 * empties the report cache (ReportCache): the page would always be cold.
 *
 * The signing secret is random, made on the first start and kept in the
 * database (table dashboard_secret), so instances over one database accept
 * each other's cookies and no new environment variable is needed.
 *
 * Sign-out clears the cookie in the browser; a copy taken before then stays
 * good until it idles out (IDLE_MS) or its key is revoked. A session is a
 * reader only: the auth plugin accepts it on GET routes that say
 * `sessionReads` (the /v1/reports downloads), never on a write.
 */
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import { dashboardSecretRepository } from './repository.js';
import cookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyService, Principal } from '../api-keys/service.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionService;
  }
}

export const SESSION_COOKIE = 'spendbook_session';
/** A session unused for this long is over: the browser drops the cookie then too (Max-Age). */
export const IDLE_MS = 30 * 60_000;
/** However busy, a session ends this long after sign-in: sign in again with the key. */
export const MAX_SESSION_MS = 12 * 3_600_000;

export interface Session {
  principal: Principal;
  issuedAt: number;
  lastSeen: number;
}

type Signer = { sign(value: string): string; unsign(value: string): { valid: boolean; value: string | null } };

export class SessionService {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly signer: Signer,
    private readonly now: () => Date,
  ) {}

  /** The session the request's cookie carries, if it is genuine, fresh and its key still active. */
  async read(request: FastifyRequest): Promise<Session | null> {
    const raw = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (raw === undefined) return null;
    const unsigned = this.signer.unsign(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    const match = /^(key_[0-9a-f]+)\.([0-9a-z]+)\.([0-9a-z]+)$/.exec(unsigned.value);
    if (!match) return null;
    const issuedAt = parseInt(match[2]!, 36);
    const lastSeen = parseInt(match[3]!, 36);
    const now = this.now().getTime();
    if (now - lastSeen > IDLE_MS || now - issuedAt > MAX_SESSION_MS || lastSeen > now + 60_000) return null;
    const principal = await this.apiKeys.activeById(match[1]!);
    return principal ? { principal, issuedAt, lastSeen } : null;
  }

  /** Starts a session for the key, or renews one (a new last-seen time), on the reply. */
  write(request: FastifyRequest, reply: FastifyReply, keyId: string, issuedAt = this.now().getTime()): void {
    const value = this.signer.sign(`${keyId}.${issuedAt.toString(36)}.${this.now().getTime().toString(36)}`);
    reply.setCookie(SESSION_COOKIE, value, { ...cookieOptions(request), maxAge: IDLE_MS / 1000 });
  }

  end(request: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
  }
}

/** Secure when the request came over HTTPS (behind a proxy, with Fastify's trustProxy set). */
function cookieOptions(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
}

/** One cookie's raw value from a Cookie header (the cookie plugin parses in a hook that runs after auth's). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export default fp<{ now: () => Date }>(
  async (app, { now }) => {
    const secrets = dashboardSecretRepository(app.database);
    const secret = await app.uow.write(() => secrets.ensure(randomBytes(32).toString('base64url'), now().toISOString()));
    await app.register(cookie, { secret });
    app.decorate('sessions', new SessionService(app.apiKeys, { sign: (v) => app.signCookie(v), unsign: (v) => app.unsignCookie(v) }, now));
  },
  { name: 'spendbook-sessions', dependencies: ['spendbook-db', 'spendbook-auth'] },
);
