/**
 * Kubernetes label selector strings (the `labelSelector` query parameter): equality-based
 * (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) requirements,
 * comma-separated and ANDed.
 */
export type Labels = Readonly<Record<string, string>>;

type Requirement =
  | { op: 'in'; key: string; values: string[] }
  | { op: 'notin'; key: string; values: string[] }
  | { op: 'exists'; key: string }
  | { op: 'doesnotexist'; key: string };

export type LabelSelector = (labels: Labels) => boolean;

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseRequirement(text: string): Requirement {
  let m = /^!\s*([^\s=!(),]+)$/.exec(text);
  if (m?.[1]) return { op: 'doesnotexist', key: m[1] };
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(text);
  if (m?.[1] && m[2]) return { op: m[2] === '!=' ? 'notin' : 'in', key: m[1], values: [m[3] ?? ''] };
  m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (m?.[1] && m[2]) {
    const values = (m[3] ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1], values };
  }
  m = /^([^\s=!(),]+)$/.exec(text);
  if (m?.[1]) return { op: 'exists', key: m[1] };
  throw new Error(`unable to parse label selector requirement: ${JSON.stringify(text)}`);
}

/** Parses a selector; an empty or missing selector matches everything. Throws on syntax errors. */
export function parseLabelSelector(selector: string | null | undefined): LabelSelector {
  const requirements = splitTopLevel(selector ?? '').map(parseRequirement);
  return (labels) =>
    requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      if (r.op === 'exists') return has;
      if (r.op === 'doesnotexist') return !has;
      const matches = has && r.values.includes(labels[r.key] as string);
      return r.op === 'in' ? matches : !matches;
    });
}
