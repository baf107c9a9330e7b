/**
 * Bearer API keys with roles on every /v1 route. A route states the least
 * role it needs in `config.role`; a /v1 route without one fails at boot.
 * On a fresh database the first admin key is SPENDBOOK_ADMIN_KEY, or a new
 * random key announced once.
 */
import fp from 'fastify-plugin';
import { ApiKeyService, type Principal } from '../features/api-keys/service.js';
import { roleAllows, type Role } from '../domain/roles.js';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    apiKeys: ApiKeyService;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The least role that may call the route; `public` for none. */
    role?: Role | 'public';
    /**
     * A GET that a dashboard session may call without a bearer key (the
     * report downloads the dashboard links to). Never on a write.
     */
    sessionReads?: boolean;
  }
}

export interface AuthPluginOptions {
  adminKey: string | undefined;
  /** Called with a generated first admin key, once. */
  announceAdminKey: (key: string) => void;
  /** The app's clock, for keys' createdAt and revokedAt. */
  now?: () => Date;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export default fp<AuthPluginOptions>(
  async (app, options) => {
    const service = new ApiKeyService(app.database, app.uow, options.now);
    app.decorate('apiKeys', service);
    app.decorateRequest('principal', null);

    // Once, however many instances start together on a new database (see bootstrap).
    if (options.adminKey) {
      await service.bootstrap('bootstrap admin (SPENDBOOK_ADMIN_KEY)', options.adminKey);
    } else {
      const created = await service.bootstrap('bootstrap admin');
      if (created) options.announceAdminKey(created.key);
    }

    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/v1') && !route.config?.role) {
        throw new Error(`route ${String(route.method)} ${route.url} declares no config.role`);
      }
      // Fastify adds a HEAD route beside each GET, with the same config.
      const reads = route.method === 'GET' || route.method === 'HEAD';
      if (route.config?.sessionReads && (!reads || !route.url.startsWith('/v1/reports/'))) {
        throw new Error(`route ${String(route.method)} ${route.url}: only GET /v1/reports/* may accept a dashboard session`);
      }
    });

    app.addHook('onRequest', async (request) => {
      const required = request.routeOptions.config?.role;
      if (!required || required === 'public') return;
      const header = request.headers.authorization;
      const match = header ? BEARER.exec(header) : null;
      // A dashboard session reads report downloads; a bearer key, when sent, wins.
      const session = !header && request.routeOptions.config?.sessionReads && request.method === 'GET' ? await app.sessions.read(request) : null;
      if (!match && !session) throw new UnauthorizedError();
      const principal = session ? session.principal : await service.authenticate(match![1]!);
      if (!principal) throw new UnauthorizedError('the API key is not valid or has been revoked');
      if (!roleAllows(principal.role, required)) {
        throw new ForbiddenError(`this needs the ${required} role or higher; the key has ${principal.role}`);
      }
      request.principal = principal;
    });
  },
  { name: 'spendbook-auth', dependencies: ['spendbook-db', 'spendbook-audit'] },
);
