/**
 * The dashboard: GET / (the page, or the sign-in form without a session),
 * the sign-in and sign-out POSTs, and the stylesheet. Thin: the figures come
 * from DashboardService, the HTML from view.ts, sessions from sessions.ts.
 *
 * The sign-in and sign-out forms cannot be forged from another site: the
 * session cookie is SameSite=Strict, and the POSTs must come from this
 * origin (Origin header, or Sec-Fetch-Site: same-origin when a browser sends
 * no Origin); a POST with neither is refused.
 */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ATTRIBUTION_MODELS } from '../../domain/attribution/index.js';
import { isValidDate, isValidMonth, monthOfDate } from '../../domain/periods.js';
import { AppError } from '../../lib/errors.js';
import { packagePath } from '../../lib/package-root.js';
import { DashboardService } from './service.js';
import { dashboardPage, errorPage, signInPage, STYLESHEET } from './view.js';

const CSS = readFileSync(packagePath('src', 'features', 'dashboard', 'assets', 'dashboard.css'), 'utf8');

const HTML = 'text/html; charset=utf-8';

/** Pages, not API: kept out of the OpenAPI document. */
const HIDDEN = { schema: { hide: true } };

const DashboardQuery = z.strictObject({
  month: z.string().refine(isValidMonth, 'must be a month YYYY-MM, such as 2026-03').optional(),
  asOf: z.string().refine(isValidDate, 'must be a date YYYY-MM-DD, such as 2026-03-15').optional(),
  model: z.enum(ATTRIBUTION_MODELS, { message: `must be one of ${ATTRIBUTION_MODELS.join(', ')}` }).default('linear'),
});

/** Where sign-in may send the browser back to: the dashboard with a query of plain characters, nothing else. */
const SAFE_NEXT = /^\/(\?[A-Za-z0-9=&_.%-]*)?$/;

/** The query's field names, as the page's form names them. */
const FIELD_WORDS: Record<string, string> = { month: 'Month', asOf: 'As of', model: 'Attribution model' };

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin === 'string') return origin === `${request.protocol}://${request.host}`;
  return request.headers['sec-fetch-site'] === 'same-origin';
}

function refuseForeign(request: FastifyRequest, reply: FastifyReply): boolean {
  if (sameOrigin(request)) return false;
  void reply
    .status(403)
    .type(HTML)
    .send(errorPage('Refused', ['This form was not sent from this dashboard’s own page. Open the dashboard and try again.']));
  return true;
}

const routes: FastifyPluginAsync = async (app) => {
  const service = new DashboardService(app);

  // Forms post URL-encoded; only this plugin's routes take such a body.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(STYLESHEET, HIDDEN, async (_request, reply) => reply.type('text/css; charset=utf-8').send(CSS));

  app.get('/', HIDDEN, async (request, reply) => {
    const session = await app.sessions.read(request);
    if (!session) {
      const next = request.url;
      return reply.type(HTML).send(signInPage({ next: SAFE_NEXT.test(next) ? next : '/' }));
    }
    const parsed = DashboardQuery.safeParse(request.query);
    if (!parsed.success) {
      const messages = parsed.error.issues.map((issue) => {
        const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue.path[0] ?? 'query');
        return issue.code === 'unrecognized_keys' ? `${field}: not a setting of this page (it takes month, asOf and model)` : `${FIELD_WORDS[field] ?? field} (${field}): ${issue.message}`;
      });
      return reply.status(400).type(HTML).send(errorPage('These settings cannot be shown', messages));
    }
    const today = app.now().toISOString().slice(0, 10);
    const asOf = parsed.data.asOf ?? today;
    const month = parsed.data.month ?? monthOfDate(asOf);
    // A report's own refusal (say, a missing FX rate) is the reader's to see, in words; anything else is a 500.
    let html: string;
    try {
      html = dashboardPage(await service.gather({ month, asOf, model: parsed.data.model }), session.principal);
    } catch (error) {
      if (error instanceof AppError && error.status < 500) {
        return reply.status(error.status).type(HTML).send(errorPage('The reports cannot be shown', [error.message]));
      }
      throw error;
    }
    // Each page view renews the session's idle time.
    app.sessions.write(request, reply, session.principal.keyId, session.issuedAt);
    return reply.type(HTML).send(html);
  });

  app.post('/dashboard/sign-in', HIDDEN, async (request, reply) => {
    if (refuseForeign(request, reply)) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = typeof body.next === 'string' && SAFE_NEXT.test(body.next) ? body.next : '/';
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    if (key === '') return reply.status(400).type(HTML).send(signInPage({ next, error: 'API key: enter your API key.' }));
    const principal = key.length <= 256 ? await app.apiKeys.authenticate(key) : null;
    if (!principal) return reply.status(401).type(HTML).send(signInPage({ next, error: 'API key: this key is not valid, or has been revoked.' }));
    app.sessions.write(request, reply, principal.keyId);
    return reply.redirect(next, 303);
  });

  app.post('/dashboard/sign-out', HIDDEN, async (request, reply) => {
    if (refuseForeign(request, reply)) return reply;
    app.sessions.end(request, reply);
    return reply.redirect('/', 303);
  });
};

export default routes;
