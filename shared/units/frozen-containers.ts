import type { Container } from '../ports/kubernetes';

/**
 * Whether a pod's container list can never change its names or requests: the list, each container and
 * each requests object frozen, and every one of those members a plain value (a getter could answer
 * differently each time). The simulator hands out such lists, shared by every pod of a template, so the
 * cores may remember what they computed from one (`WeakMap` by list); a real API server's lists are
 * fresh, unfrozen objects on every read and are never remembered.
 */
export function hasFrozenRequests(
  containers: readonly (Pick<Container, 'requests'> & { name?: string })[],
): boolean {
  if (!Object.isFrozen(containers)) return false;
  for (const container of containers) {
    if (!Object.isFrozen(container) || !isValue(container, 'requests')) return false;
    if ('name' in container && !isValue(container, 'name')) return false;
    if (!Object.isFrozen(container.requests)) return false;
    for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(container.requests))) {
      if (!('value' in descriptor)) return false;
    }
  }
  return true;
}

function isValue(object: object, key: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  return descriptor !== undefined && 'value' in descriptor;
}
