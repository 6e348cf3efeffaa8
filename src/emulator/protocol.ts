import type { IncomingHttpHeaders } from 'node:http';

/** The AWS service and operation an SDK request is for, read from its wire form. */
export interface Operation {
  service: 'ec2' | 'ssm' | 'route53' | 'iam' | 'lambda' | 'states' | 'scheduler' | 'other';
  name: string;
  /** The workflow step that made the call, from the `instance-lifecycle/<step>` user agent its clients send. */
  step?: string;
}

export function stepOf(headers: IncomingHttpHeaders): string | undefined {
  return /\binstance-lifecycle\/([A-Za-z]+)/.exec(String(headers['user-agent'] ?? ''))?.[1];
}

/** The service a SigV4-signed request is for: the scope of its credential (`AKID/date/region/SERVICE/aws4_request`). */
export function signedService(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''))?.[1];
}

export function operationOf(method: string, path: string, headers: IncomingHttpHeaders, body: string): Operation {
  const step = stepOf(headers);
  const signed = signedService(headers);
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('AmazonSSM.')) {
    return { service: 'ssm', name: target.slice('AmazonSSM.'.length), step };
  }
  if (typeof target === 'string' && target.startsWith('AWSStepFunctions.')) {
    return { service: 'states', name: target.slice('AWSStepFunctions.'.length), step };
  }
  if (path.startsWith('/2013-04-01/')) return { service: 'route53', name: route53Operation(method, path), step };
  if (method === 'POST' && /^\/2015-03-31\/functions\/[^/]+\/invocations/.test(path)) {
    return { service: 'lambda', name: 'Invoke', step };
  }
  if (signed === 'scheduler') return { service: 'scheduler', name: schedulerOperation(method, path), step };
  // Other Query-protocol services (CloudFormation, SNS, STS) and S3 pass through as they are.
  if (signed && signed !== 'ec2' && signed !== 'iam') return { service: 'other', name: `${signed} ${method}`, step };
  const action = new URLSearchParams(body).get('Action');
  if (action) return { service: signed === 'iam' ? 'iam' : 'ec2', name: action, step };
  return { service: 'other', name: `${method} ${path}`, step };
}

function route53Operation(method: string, path: string): string {
  const p = path.replace(/\?.*$/, '').replace(/\/$/, '');
  if (/\/rrset$/.test(p)) return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
  if (/\/change\/[^/]+$/.test(p)) return 'GetChange';
  if (/\/hostedzonesbyname$/.test(p)) return 'ListHostedZonesByName';
  if (/\/hostedzone\/[^/]+$/.test(p)) return method === 'DELETE' ? 'DeleteHostedZone' : 'GetHostedZone';
  if (/\/hostedzone$/.test(p)) return method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones';
  return `${method} ${p}`;
}

/** EventBridge Scheduler's REST operations, from the method and path. */
function schedulerOperation(method: string, path: string): string {
  const p = path.replace(/\?.*$/, '').replace(/\/$/, '');
  const verbs: Record<string, string> = { POST: 'Create', GET: 'Get', PUT: 'Update', DELETE: 'Delete' };
  if (/^\/schedules\/[^/]+$/.test(p)) return `${verbs[method] ?? method}Schedule`;
  if (p === '/schedules') return 'ListSchedules';
  if (/^\/schedule-groups\/[^/]+$/.test(p)) return `${verbs[method] ?? method}ScheduleGroup`;
  if (p === '/schedule-groups') return 'ListScheduleGroups';
  if (/^\/tags\//.test(p))
    return method === 'GET' ? 'ListTagsForResource' : method === 'POST' ? 'TagResource' : 'UntagResource';
  return `${method} ${p}`;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An error response in the service's own protocol, so the SDK raises a named exception. */
export function errorResponse(op: Operation, code: string, message: string, status = 400): WireResponse {
  const requestId = `emulator-${Math.random().toString(16).slice(2, 10)}`;
  if (op.service === 'ssm' || op.service === 'states' || op.service === 'lambda') {
    const contentType = op.service === 'states' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    return {
      status,
      headers: { 'content-type': contentType, 'x-amzn-errortype': code },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  if (op.service === 'scheduler') {
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
      body: JSON.stringify({ Message: message }),
    };
  }
  if (op.service === 'ec2') {
    return {
      status,
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  const xmlns = op.service === 'route53' ? ' xmlns="https://route53.amazonaws.com/doc/2013-04-01/"' : '';
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse${xmlns}><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
