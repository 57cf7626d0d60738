// The benchmark app written with the AWS CDK: the optional `cdk synth` side of bench/run.py.
//
//   BENCH_N=1000 BENCH_CODE=/path/to/src npx --no-install cdk synth --app "node bench/cdk_app.js" -o OUT -q
//
// Per service, the same 8 resources as cloudc's build of bench/app.py's app: an S3 bucket and
// its TLS-only bucket policy, a queue and its dead-letter queue, a log group, an IAM role, a
// Lambda function and its queue event source mapping; in the same nested stacks (storage and
// queues 250 services a stack, functions 125). Cross-stack values are names and ARNs built
// from names, as cloudc does, so no stack exports anything. Runs only when bench/setup.sh
// --cdk installed aws-cdk into bench/node_modules.
'use strict';
const path = require('path');
const cdk = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');
const sqs = require('aws-cdk-lib/aws-sqs');
const logs = require('aws-cdk-lib/aws-logs');
const iam = require('aws-cdk-lib/aws-iam');
const lambda = require('aws-cdk-lib/aws-lambda');

const n = parseInt(process.env.BENCH_N || '10', 10);
const code = process.env.BENCH_CODE || path.join(__dirname, 'src');
const prefix = 'bench-app-production';

const app = new cdk.App({ analyticsReporting: false });  // no AWS::CDK::Metadata: 500 a stack fit
const root = new cdk.Stack(app, 'BenchApp', { description: 'Bench App (production), by cdk' });
cdk.Tags.of(root).add('project', 'bench-app');
cdk.Tags.of(root).add('environment', 'production');

function chunks(group, per, add) {
  for (let k = 0, start = 0; start < n; k += 1, start += per) {
    const stack = new cdk.NestedStack(root, k === 0 ? group : `${group}-${k + 1}`);
    for (let i = start; i < Math.min(n, start + per); i += 1) add(stack, i);
  }
}

chunks('storage', 250, (stack, i) => {
  new s3.Bucket(stack, `Files${i}`, {
    bucketName: `${prefix}-files-${i}`,
    versioned: true,
    encryption: s3.BucketEncryption.S3_MANAGED,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    lifecycleRules: [{ id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: cdk.Duration.days(7) }],
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
});

chunks('queues', 250, (stack, i) => {
  const dlq = new sqs.Queue(stack, `Jobs${i}Dlq`, {
    queueName: `${prefix}-jobs-${i}-dlq`,
    retentionPeriod: cdk.Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
  });
  new sqs.Queue(stack, `Jobs${i}`, {
    queueName: `${prefix}-jobs-${i}`,
    visibilityTimeout: cdk.Duration.seconds(120),
    retentionPeriod: cdk.Duration.days(4),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
  });
});

const codes = new Map();  // one Code a stack: CDK binds an asset to one stack
chunks('functions', 125, (stack, i) => {
  if (!codes.has(stack)) codes.set(stack, lambda.Code.fromAsset(code));
  const name = `${prefix}-worker-${i}`;
  const queueArn = cdk.Fn.sub(`arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${prefix}-jobs-${i}`);
  const bucketArn = cdk.Fn.sub(`arn:\${AWS::Partition}:s3:::${prefix}-files-${i}`);
  const group = new logs.LogGroup(stack, `Worker${i}Logs`, {
    logGroupName: `/aws/lambda/${name}`,
    retention: logs.RetentionDays.ONE_MONTH,
  });
  const role = new iam.Role(stack, `Worker${i}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: {
      cloudc: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [cdk.Fn.sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${name}:*`)] }),
          new iam.PolicyStatement({ actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage',
            'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], resources: [queueArn] }),
          new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }),
          new iam.PolicyStatement({ actions: ['s3:AbortMultipartUpload', 's3:DeleteObject',
            's3:GetObject', 's3:PutObject'], resources: [cdk.Fn.sub(`arn:\${AWS::Partition}:s3:::${prefix}-files-${i}/*`)] }),
        ],
      }),
    },
  });
  const fn = new lambda.Function(stack, `Worker${i}Function`, {
    functionName: name,
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: codes.get(stack),
    memorySize: 256,
    timeout: cdk.Duration.seconds(20),
    architecture: lambda.Architecture.ARM_64,
    role,
    logGroup: group,
    environment: { [`STORAGE_FILES_${i}_NAME`]: `${prefix}-files-${i}`, [`STORAGE_FILES_${i}_ARN`]: bucketArn },
  });
  const mapping = new lambda.EventSourceMapping(stack, `Worker${i}Event1Mapping`, {
    target: fn,
    eventSourceArn: queueArn,
    batchSize: 10,
    reportBatchItemFailures: true,
  });
  mapping.node.addDependency(role);
});

app.synth();
