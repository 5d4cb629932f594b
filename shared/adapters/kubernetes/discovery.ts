/**
 * Kind → resource resolution through API discovery (`GET /api/v1`, `GET /apis/<group>/<version>`),
 * cached per instance: one discovery request per group/version for the life of the adapter. Discovery
 * documents are readable by every authenticated user (the default `system:discovery` binding), so this
 * needs no rule in tideplane's ClusterRole.
 */
import type { KubeClient } from './client';
import { isNotFound } from './errors';

export interface ResolvedResource {
  group: string;
  version: string;
  /** Plural resource name, e.g. `deployments`, `webapps`. */
  resource: string;
  namespaced: boolean;
  /** True when the resource serves a `scale` subresource. */
  scalable: boolean;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced?: boolean }[];
}

interface ApiGroup {
  preferredVersion?: { version?: string };
}

/** Splits `apps/v1` into group and version; `v1` is the core group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export class ResourceResolver {
  private readonly documents = new Map<string, Promise<ApiResourceList | undefined>>();
  private readonly preferredVersions = new Map<string, Promise<string | undefined>>();

  constructor(private readonly client: KubeClient) {}

  /**
   * The resource serving `kind` in `apiVersion`. Like upstream's REST mapper, a group/version that is
   * not served falls back to the group's preferred version. Undefined when the kind is not served.
   */
  async resolve(apiVersion: string, kind: string): Promise<ResolvedResource | undefined> {
    const { group, version } = parseApiVersion(apiVersion);
    const found = await this.find(group, version, kind);
    if (found !== 'no-such-version') return found;
    if (group === '') return undefined;
    const preferred = await this.preferredVersion(group);
    if (!preferred || preferred === version) return undefined;
    const fallback = await this.find(group, preferred, kind);
    return fallback === 'no-such-version' ? undefined : fallback;
  }

  private async find(
    group: string,
    version: string,
    kind: string,
  ): Promise<ResolvedResource | undefined | 'no-such-version'> {
    const document = await this.document(group, version);
    if (!document) return 'no-such-version';
    const resources = document.resources ?? [];
    const main = resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!main) return undefined;
    return {
      group,
      version,
      resource: main.name,
      namespaced: main.namespaced ?? true,
      scalable: resources.some((r) => r.name === `${main.name}/scale`),
    };
  }

  private document(group: string, version: string): Promise<ApiResourceList | undefined> {
    const key = `${group}/${version}`;
    let cached = this.documents.get(key);
    if (!cached) {
      const path =
        group === ''
          ? `/api/${encodeURIComponent(version)}`
          : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`;
      cached = this.client.request<ApiResourceList>('GET', path).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        this.documents.delete(key); // transient failures are retried on the next call
        throw error;
      });
      this.documents.set(key, cached);
    }
    return cached;
  }

  private preferredVersion(group: string): Promise<string | undefined> {
    let cached = this.preferredVersions.get(group);
    if (!cached) {
      cached = this.client
        .request<ApiGroup>('GET', `/apis/${encodeURIComponent(group)}`)
        .then((g) => g.preferredVersion?.version)
        .catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          this.preferredVersions.delete(group);
          throw error;
        });
      this.preferredVersions.set(group, cached);
    }
    return cached;
  }
}
