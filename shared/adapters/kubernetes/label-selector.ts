/**
 * A structured label selector in the string form the API server writes to `/scale`'s status.selector
 * and accepts in `labelSelector=` query parameters.
 */
import type { LabelSelector } from '../../ports/autoscaling-v2';

/**
 * Formats a selector as apimachinery's `LabelSelectorAsSelector(s).String()` does: one requirement per
 * matchLabels entry (`key=value`) and per expression (`key in (a,b)`, `key notin (a,b)`, `key`, `!key`),
 * sorted by key, values sorted, joined by commas. An empty or missing selector is the empty string.
 *
 * @example formatLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] })
 *   // 'app=web,tier in (a,b)'
 */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  if (!selector) return '';
  const requirements: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, text: `${key}=${value}` });
  }
  for (const expression of selector.matchExpressions ?? []) {
    const values = [...(expression.values ?? [])].sort().join(',');
    const { key } = expression;
    switch (expression.operator) {
      case 'In':
        requirements.push({ key, text: `${key} in (${values})` });
        break;
      case 'NotIn':
        requirements.push({ key, text: `${key} notin (${values})` });
        break;
      case 'Exists':
        requirements.push({ key, text: key });
        break;
      case 'DoesNotExist':
        requirements.push({ key, text: `!${key}` });
        break;
      default:
        throw new Error(`unsupported label selector operator ${String(expression.operator)} for key ${key}`);
    }
  }
  // Array.prototype.sort is stable, so requirements on the same key keep their input order.
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return requirements.map((r) => r.text).join(',');
}
