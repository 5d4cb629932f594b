/** Helpers for reading a synthesised template in the infra tests. */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { expect } from 'vitest';
import type { TideplaneStack } from '../../../infra/stack';

export type Json = Record<string, unknown>;

export type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
};

export function single<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/**
 * Every stack of one account and region (the account and region stack and each cluster's) as one
 * template, each logical id prefixed by its stack's name: counts and searches cover all of them, and
 * `resource`/`roleStatements` find a construct in its own stack.
 */
export function regionTemplate(stack: TideplaneStack): Template {
  const merged: { Resources: Json; Outputs: Json } = { Resources: {}, Outputs: {} };
  for (const each of [stack, ...stack.clusters.values()]) {
    const json = Template.fromStack(each).toJSON();
    for (const section of ['Resources', 'Outputs'] as const) {
      for (const [id, value] of Object.entries((json[section] ?? {}) as Json)) {
        merged[section][`${each.stackName}/${id}`] = value;
      }
    }
  }
  const template = Template.fromJSON(merged);
  regionTemplates.add(template);
  return template;
}

const regionTemplates = new WeakSet<Template>();

/** The key of `construct`'s resource in `template` (stack-qualified in a `regionTemplate`). */
function keyIn(template: Template, construct: IConstruct, id: string): string {
  return regionTemplates.has(template) ? `${Stack.of(construct).stackName}/${id}` : id;
}

export function resource(template: Template, construct: IConstruct): Json {
  const found = template.toJSON().Resources[keyIn(template, construct, logicalId(construct))];
  if (!found) throw new Error(`no resource for ${construct.node.path}`);
  return found as Json;
}

/** The statements of the role's default policy (CDK puts every `addToPrincipalPolicy` there). */
export function roleStatements(template: Template, role: IConstruct): Statement[] {
  const roleId = logicalId(role);
  const ownStack = keyIn(template, role, '');
  const policies = Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(
      ([id, policy]) =>
        id.startsWith(ownStack) && JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
    )
    .map(([, policy]) => policy);
  return single(policies).Properties.PolicyDocument.Statement as Statement[];
}

export function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/**
 * How a cluster's stack refers to `construct` of the account and region stack: an import of the export
 * CDK makes for its `Ref`, or for its `attribute` (`Arn`).
 */
export function imported(construct: IConstruct, attribute?: string): Json {
  const id = logicalId(construct);
  const output = attribute ? `ExportsOutputFnGetAtt${id}${attribute}` : `ExportsOutputRef${id}`;
  return {
    'Fn::ImportValue': expect.stringMatching(
      new RegExp(`^${Stack.of(construct).stackName}:${output}[0-9A-F]{8}$`),
    ),
  };
}

/** The warning and error annotations of every stack of one account and region. */
export function regionMessages(stack: TideplaneStack): { warnings: unknown[]; errors: unknown[] } {
  const stacks = [stack, ...stack.clusters.values()].map((each) => Annotations.fromStack(each));
  return {
    warnings: stacks.flatMap((messages) => messages.findWarning('*', Match.anyValue())),
    errors: stacks.flatMap((messages) => messages.findError('*', Match.anyValue())),
  };
}
