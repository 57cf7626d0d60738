import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event) => {
  await db.send(new DeleteCommand({
    TableName: process.env.DATABASES_CONNECTIONS_NAME,
    Key: { connection_id: event.requestContext.connectionId },
  }));
  return { statusCode: 200 };
};
