#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { defineApp } from '../lib/app';

// CDK's own CloudFormation schema check took more than half of every synth (6 s of 11 on two
// cores); the tests run cfn-lint, a stricter check, on the same template (test/stack.test.ts), as
// the local mode's synth (src/engine/synth.ts) already relied on.
defineApp(new App({ builtinCloudFormationValidation: false }));
