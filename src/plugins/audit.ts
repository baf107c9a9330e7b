/**
 * The audit trail's plumbing: the AuditLog, and a scope per request in which
 * the authenticated key is the actor every audited write is recorded as.
 * Registered after the database and before auth: its onRequest hook opens
 * the scope that auth's hook and everything after it run in.
 */
import fp from 'fastify-plugin';
import { actorScope, AuditLog } from '../features/audit/service.js';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditLog;
  }
}

export default fp<{ now: () => Date }>(
  async (app, { now }) => {
    app.decorate('audit', new AuditLog(app.sqlite, now));
    app.addHook('onRequest', (_request, _reply, done) => actorScope.run({ actor: null }, done));
    app.addHook('preHandler', async (request) => {
      const scope = actorScope.getStore();
      if (scope && request.principal) scope.actor = { keyId: request.principal.keyId, name: request.principal.name };
    });
  },
  { name: 'spendbook-audit', dependencies: ['spendbook-db'] },
);
