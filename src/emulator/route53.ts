/**
 * Route 53 change semantics that moto lacks and the workflows depend on: a CREATE of a name and type
 * that already exist is refused, and a DELETE must name the record exactly as it is now. Messages
 * are Route 53's own, so handlers see what they would see in AWS.
 */
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { clientConfig } from './account';

export interface RecordChange {
  action: string;
  name: string;
  type: string;
  ttl?: number;
  values: string[];
}

const tagText = (xml: string, tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1];
const decode = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
const absolute = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/** The changes of a ChangeResourceRecordSets request body. */
export function parseChanges(xml: string): RecordChange[] {
  return [...xml.matchAll(/<Change>([\s\S]*?)<\/Change>/g)].map(([, change]) => {
    const ttl = tagText(change, 'TTL');
    return {
      action: tagText(change, 'Action') ?? '',
      name: absolute(decode(tagText(change, 'Name') ?? '')),
      type: tagText(change, 'Type') ?? '',
      ttl: ttl === undefined ? undefined : Number(ttl),
      values: [...change.matchAll(/<Value>([\s\S]*?)<\/Value>/g)].map(([, v]) => decode(v)),
    };
  });
}

export function zoneIdOfPath(path: string): string | undefined {
  return /\/hostedzone\/([^/]+)\/rrset/.exec(path)?.[1];
}

const sameValues = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);

/** Route 53's refusal of the batch, or undefined when every change applies to the zone as it is now. */
export async function refusal(motoUrl: string, zoneId: string, changes: RecordChange[]): Promise<string | undefined> {
  const route53 = new Route53Client(clientConfig(motoUrl));
  const problems: string[] = [];
  for (const change of changes) {
    if (change.action !== 'CREATE' && change.action !== 'DELETE') continue;
    const out = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: change.name, MaxItems: 20 }),
    );
    const current = (out.ResourceRecordSets ?? []).find(
      (r) => absolute(r.Name ?? '') === change.name && r.Type === change.type,
    );
    const what = `resource record set [name='${change.name}', type='${change.type}']`;
    if (change.action === 'CREATE' && current) problems.push(`Tried to create ${what} but it already exists`);
    if (change.action === 'DELETE') {
      if (!current) problems.push(`Tried to delete ${what} but it was not found`);
      else if (
        current.TTL !== change.ttl ||
        !sameValues(
          (current.ResourceRecords ?? []).map((r) => r.Value ?? ''),
          change.values,
        )
      ) {
        problems.push(`Tried to delete ${what} but the values provided do not match the current values`);
      }
    }
  }
  return problems.length > 0 ? `[${problems.join(', ')}]` : undefined;
}
