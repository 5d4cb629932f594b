import type { Json } from './template';

/** Synthesise without bundling the handlers (the infra tests read templates, not assets). */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';
/** A partial ARN (no random suffix), so the grant must add `-??????`. */
export const VPC_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tideplane/vpc-cluster`;

/** A cluster reached through a kubeconfig secret, running the functions in its VPC. */
export function vpcCluster(overrides: Json = {}): Json {
  return {
    name: 'vpc-cluster',
    access: { kind: 'kubeconfig', secretArn: VPC_SECRET },
    vpc: {
      vpcId: 'vpc-0a1b2c3d',
      subnetIds: ['subnet-0a1b2c3d', 'subnet-1a2b3c4d'],
      securityGroupIds: ['sg-0a1b2c3d'],
    },
    ...overrides,
  };
}
