/**
 * The workflow step this bundle implements (`LaunchInstance`, …), fixed at build time by an esbuild
 * `define` (lib/step-function.ts). Logs carry it, and so does the AWS SDK's user agent, which
 * CloudTrail records: every API call can be traced back to the step that made it.
 */
export const STEP = process.env.LIFECYCLE_STEP ?? 'unbundled';
