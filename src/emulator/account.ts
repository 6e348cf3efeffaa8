/**
 * The account and region the emulator answers for, and the credentials the local tools use with
 * it: one place for them, light enough for whatever only needs the names (template reading, the
 * CLI). The emulator's seeding is in seed.ts.
 */
export const LOCAL_REGION = 'us-east-1';
/** The account moto answers for. */
export const LOCAL_ACCOUNT_ID = '123456789012';
export const LOCAL_CREDENTIALS = { accessKeyId: 'emulator', secretAccessKey: 'emulator' };

export function clientConfig(endpoint: string) {
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
}
