import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";

const s3 = new S3Client({});
const ssm = new SSMClient({});

export const handler = async (event) => {
  const token = await ssm.send(new GetParameterCommand({
    Name: process.env.SECRETS_API_TOKEN_NAME, WithDecryption: true,
  }));
  const day = new Date().toISOString().slice(0, 10);
  const report = { day, kind: event.kind, fetchedWithToken: Boolean(token.Parameter?.Value) };
  await s3.send(new PutObjectCommand({
    Bucket: process.env.STORAGE_REPORTS_NAME,
    Key: `${event.prefix}${day}.json`,
    Body: JSON.stringify(report),
    ContentType: "application/json",
  }));
  return report;
};
