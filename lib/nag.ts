import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Renders a resource string the way cdk-nag names it in a finding id (`<AWS::AccountId>`, `<Fn.Arn>`). */
export function nagResourceName(scope: IConstruct, resource: string): string {
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const obj = part as Record<string, unknown>;
    if (typeof obj.Ref === 'string') return `<${obj.Ref}>`;
    const getAtt = obj['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
    const join = obj['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(render).join(join[0]);
    throw new Error(`cannot render ${JSON.stringify(part)} for cdk-nag`);
  };
  return render(Stack.of(scope).resolve(resource));
}

/** Acknowledges one IAM5 wildcard on `scope`, with its reason. */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, resource)}]`,
    reason,
  });
}
