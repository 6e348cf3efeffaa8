import { LOCAL_CREDENTIALS } from './seed';

/**
 * The one IAM call local mode needs (moto refuses RunInstances with an unknown instance profile).
 * Sent as a plain query request to keep @aws-sdk/client-iam out of the dependencies.
 */
export class CreateInstanceProfileCommand {
  constructor(
    private readonly endpoint: string,
    private readonly name: string,
  ) {}

  async send(): Promise<void> {
    const body = new URLSearchParams({
      Action: 'CreateInstanceProfile',
      Version: '2010-05-08',
      InstanceProfileName: this.name,
    });
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: body.toString(),
    });
    if (res.ok) return;
    const text = await res.text();
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.status}`;
    const error = new Error(`CreateInstanceProfile: ${text.slice(0, 300)}`);
    error.name = code;
    throw error;
  }
}
