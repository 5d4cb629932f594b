/**
 * Label selectors for the simulator: the string form a `/scale` subresource reports in `status.selector`
 * (and metric queries pass as `podSelector`), and the structured `LabelSelector` of metric specs.
 */
import type { LabelSelector } from '../ports/autoscaling-v2';

export type Labels = Readonly<Record<string, string>>;
export type LabelMatcher = (labels: Labels) => boolean;

interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

function matchesRequirement(requirement: Requirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'In':
      return has && requirement.values.includes(value ?? '');
    case 'NotIn':
      return !has || !requirement.values.includes(value ?? '');
  }
}

/** Splits on commas outside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

const KEY = '[A-Za-z0-9./_-]+';
const VALUE = '[A-Za-z0-9._-]*';
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);

function parseRequirement(text: string): Requirement {
  const equality = EQUALITY.exec(text);
  if (equality?.[1]) {
    return { key: equality[1], operator: equality[2] === '!=' ? 'NotIn' : 'In', values: [equality[3] ?? ''] };
  }
  const set = SET.exec(text);
  if (set?.[1]) {
    const values = (set[3] ?? '')
      .split(',')
      .map((value) => value.trim())
      .filter((value) => value !== '');
    return { key: set[1], operator: set[2] === 'in' ? 'In' : 'NotIn', values };
  }
  const exists = EXISTS.exec(text);
  if (exists?.[2]) return { key: exists[2], operator: exists[1] ? 'DoesNotExist' : 'Exists', values: [] };
  throw new Error(`malformed label selector requirement ${JSON.stringify(text)}`);
}

/**
 * A matcher for a selector string (`app=web,tier in (a,b),!canary`). The empty string matches everything,
 * as in Kubernetes. Throws on malformed input.
 */
export function parseSelector(selector: string): LabelMatcher {
  const requirements = splitRequirements(selector).map(parseRequirement);
  return (labels) => requirements.every((requirement) => matchesRequirement(requirement, labels));
}

/** A matcher for a structured selector; a missing selector matches everything. */
export function labelSelectorMatcher(selector: LabelSelector | undefined): LabelMatcher {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, operator: 'In', values: [value] });
  }
  for (const expression of selector?.matchExpressions ?? []) {
    requirements.push({
      key: expression.key,
      operator: expression.operator,
      values: expression.values ?? [],
    });
  }
  return (labels) => requirements.every((requirement) => matchesRequirement(requirement, labels));
}

/** The string form of equality requirements, sorted by key as the API server prints it (`a=1,b=2`). */
export function formatMatchLabels(matchLabels: Labels): string {
  return Object.keys(matchLabels)
    .sort()
    .map((key) => `${key}=${matchLabels[key]}`)
    .join(',');
}
