/**
 * The audit trail's plumbing and the unit of work every write goes
 * through: the AuditLog, a scope per request in which the authenticated
 * key is the actor every write is recorded as, and the UnitOfWork that
 * names that actor in each write transaction. Registered after the
 * database and before auth: its onRequest hook opens the scope that auth's
 * hook and everything after it run in.
 */
import fp from 'fastify-plugin';
import { actorScope, AuditLog } from '../features/audit/service.js';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditLog;
  }
}

export default fp(
  async (app) => {
    app.decorate('audit', new AuditLog(app.database));
    app.addHook('onRequest', (_request, _reply, done) => actorScope.run({ actor: null }, done));
    app.addHook('preHandler', async (request) => {
      const scope = actorScope.getStore();
      if (scope && request.principal) scope.actor = { keyId: request.principal.keyId, name: request.principal.name };
    });
  },
  { name: 'spendbook-audit', dependencies: ['spendbook-db'] },
);
