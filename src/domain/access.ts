/**
 * Who may do what: the one table that maps an API token's scope (or a dashboard session's role)
 * to what it may touch. The HTTP layer asks {@link scopeAllows} for every request, before reading
 * the body, so a credential without the right never makes the server parse an upload.
 */
import type { ApiTokenScope } from './api-token.schema.ts';

/**
 * What a request touches: `content` campaigns, lists, subscribers and checking or previewing an
 * edition (the API and the dashboard's pages); `editions` stored editions, unpublished copy that
 * only the people who write and approve it read; `metrics` the Prometheus endpoint; `queues` Bull
 * Board; `audit` the audit log.
 */
export type AccessArea = 'content' | 'editions' | 'metrics' | 'queues' | 'audit';

/** What each scope may read, and what it may change. */
const RULES: Record<ApiTokenScope, { read: readonly AccessArea[]; write: readonly AccessArea[] }> = {
  admin: { read: ['content', 'editions', 'metrics', 'queues', 'audit'], write: ['content', 'editions', 'queues'] },
  editor: { read: ['content', 'editions', 'metrics', 'queues'], write: ['content', 'editions'] },
  read: { read: ['content', 'metrics', 'queues'], write: [] },
  metrics: { read: ['metrics'], write: [] },
};

/** True when `scope` may make a request to `area`; `write` for anything but GET and HEAD. */
export function scopeAllows(scope: ApiTokenScope, request: { area: AccessArea; write: boolean }): boolean {
  return RULES[scope][request.write ? 'write' : 'read'].includes(request.area);
}

/** True for methods that change nothing (GET, HEAD, OPTIONS). */
export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Scopes that may sign in to the dashboard (a Prometheus credential may not). */
export function scopeMaySignIn(scope: ApiTokenScope): boolean {
  return scope !== 'metrics';
}
