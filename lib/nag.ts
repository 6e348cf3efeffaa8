import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * A resource string as cdk-nag names it in a finding id: resolved in the stack's environment (a
 * literal region and account when the cdk CLI knows them, `<AWS::Region>` when it does not), then
 * flattened by cdk-nag's own function. Built this way, an acknowledgement matches every synth.
 */
export function nagResourceName(scope: IConstruct, resource: unknown): string {
  return flattenCfnReference(Stack.of(scope).resolve(resource));
}

/** Acknowledges one IAM5 wildcard on `scope`, with its reason. */
export function acknowledgeWildcard(scope: IConstruct, resource: unknown, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, resource)}]`,
    reason,
  });
}

/**
 * Acknowledges the wildcard resources that a construct library put in `role`'s default policy
 * (and which this project therefore never spells out), those matching `pattern` only.
 * Returns what it acknowledged, so that a caller can insist on finding something.
 */
export function acknowledgeRoleWildcards(role: iam.IRole, pattern: RegExp, reason: string): string[] {
  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const document = policy
    ? (Stack.of(role).resolve(policy.document) as { Statement?: Array<{ Resource?: unknown }> })
    : {};
  const found = (document.Statement ?? [])
    .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
    .map((r) => flattenCfnReference(r))
    .filter((r) => r.includes('*') && pattern.test(r));
  for (const resource of new Set(found)) {
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
  return [...new Set(found)];
}
