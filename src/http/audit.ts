/**
 * Recording operator actions made over HTTP in the audit log, with who made them: the API token
 * (`api:<name>`) or the dashboard user (`dashboard:admin` for the password, `dashboard:<token
 * name>`). A route records after its action succeeded, with one call.
 */
import type { FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import type { AuditEvent } from '../domain/audit.schema.ts';

/** Who made the request, for the audit log; null for a request nobody signed (never audited). */
export function actorOf(req: FastifyRequest): string | null {
  if (req.apiToken) return `api:${req.apiToken.name}`;
  if (req.adminSession) return `dashboard:${req.adminSession.who}`;
  return null;
}

/** Records `event` as done by the request's caller. */
export async function audit(app: App, req: FastifyRequest, event: Omit<AuditEvent, 'actor'>): Promise<void> {
  const actor = actorOf(req);
  if (!actor) throw new Error(`audit: ${event.action} on a request nobody signed`);
  await app.stores.audit.record({ ...event, actor });
}
