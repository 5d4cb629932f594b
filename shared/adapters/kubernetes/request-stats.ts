/**
 * Counts the HTTP requests a Kubernetes client makes, keyed by verb and resource, so tests and the
 * benchmark can assert the port's cost contract ("one list per kind per tick") on the wire.
 */

export interface RequestStats {
  /** Every request sent, including failed ones. */
  total: number;
  /**
   * Requests by `"<verb> <group>/<resource>[/<subresource>]"` (no group for the core API), e.g.
   * `list pods`, `list apps/deployments`, `update apps/deployments/scale`,
   * `patch autoscaling.tideplane.io/horizontalautoscalers/status`, `create events.k8s.io/events`,
   * `discovery example.com/v1`, `get custom.metrics.k8s.io/pods/http_requests`.
   */
  byRequest: Record<string, number>;
}

/** A mutable counter shared by every API object of one client. */
export class RequestCounter {
  private total = 0;
  private byRequest = new Map<string, number>();

  record(method: string, url: string): void {
    this.total += 1;
    const key = describeRequest(method, url);
    this.byRequest.set(key, (this.byRequest.get(key) ?? 0) + 1);
  }

  stats(): RequestStats {
    return { total: this.total, byRequest: Object.fromEntries(this.byRequest) };
  }

  reset(): void {
    this.total = 0;
    this.byRequest.clear();
  }
}

const VERB_BY_METHOD: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * The stats key of one request, from its method and URL (Kubernetes API path conventions:
 * `/api/v1/...` for the core group, `/apis/<group>/<version>/...` otherwise, an optional
 * `namespaces/<ns>/` prefix, then `<resource>[/<name>[/<subresource>]]`).
 *
 * @example describeRequest('GET', 'https://k/apis/apps/v1/deployments?limit=500') // 'list apps/deployments'
 */
export function describeRequest(method: string, url: string): string {
  const upper = method.toUpperCase();
  let path: string;
  try {
    path = new URL(url, 'http://localhost').pathname;
  } catch {
    return `${upper.toLowerCase()} ${url}`;
  }
  const segments = path.split('/').filter((s) => s.length > 0);
  let group = '';
  let version = '';
  let rest: string[];
  if (segments[0] === 'api') {
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else {
    return `${upper.toLowerCase()} ${path}`;
  }
  const prefix = group ? `${group}/` : '';
  if (rest.length === 0 || version === '') {
    return `discovery ${prefix}${version}`.trimEnd();
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  const verb = VERB_BY_METHOD[upper] ?? (name === undefined ? 'list' : 'get');
  const collectionVerb = upper === 'DELETE' && name === undefined ? 'deletecollection' : verb;
  return `${collectionVerb} ${prefix}${resource}${subresource ? `/${subresource}` : ''}`;
}
