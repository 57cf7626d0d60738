import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event) => {
  await db.send(new PutCommand({
    TableName: process.env.DATABASES_CONNECTIONS_NAME,
    Item: { connection_id: event.requestContext.connectionId,
            expires_at: Math.floor(Date.now() / 1000) + 2 * 3600 },
  }));
  return { statusCode: 200 };
};
