import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});

// Reports partial batch failures: only the failed messages return to the queue.
export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    try {
      const order = JSON.parse(JSON.parse(record.body).Message);
      await db.send(new PutItemCommand({
        TableName: process.env.DATABASES_ORDERS_NAME,
        Item: { pk: { S: `order#${order.id}` }, sk: { S: "v1" }, body: { S: record.body } },
      }));
    } catch (err) {
      console.error(err);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
