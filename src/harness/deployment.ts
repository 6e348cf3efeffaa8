import * as path from 'node:path';
import { PROJECT_ROOT } from '../engine/synth';
import { type AslDefinition, loadDeployment, type Template, type Workflow } from '../engine/template';

export const TEMPLATE_PATH =
  process.env.LIFECYCLE_TEMPLATE ?? path.join(PROJECT_ROOT, 'cdk.out', 'InstanceLifecycle.template.json');

export function template(): Template {
  return require(TEMPLATE_PATH) as Template;
}

export function definitions(): Record<Workflow, AslDefinition> {
  return loadDeployment(TEMPLATE_PATH).definitions;
}
