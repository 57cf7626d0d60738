// Collect click events (a JSON object or an array of them) into the Kinesis stream.
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";

const kinesis = new KinesisClient({});
const StreamName = process.env.STREAMS_EVENTS_NAME;

export const handler = async (event) => {
  let body;
  try {
    body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body ?? "");
  } catch {
    return { statusCode: 400, body: "expected JSON" };
  }
  const events = (Array.isArray(body) ? body : [body]).slice(0, 500);
  const ts = new Date().toISOString();
  const Records = events.map((e) => ({
    Data: Buffer.from(JSON.stringify({ ...e, ts: e.ts ?? ts }) + "\n"),
    PartitionKey: String(e.user_id ?? e.session_id ?? Math.random()),
  }));
  const out = await kinesis.send(new PutRecordsCommand({ StreamName, Records }));
  return { statusCode: out.FailedRecordCount ? 207 : 202,
           body: JSON.stringify({ accepted: Records.length - (out.FailedRecordCount ?? 0) }) };
};
