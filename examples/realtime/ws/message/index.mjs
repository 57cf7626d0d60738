// Broadcast a message to every open connection (sendmessage and $default routes).
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TableName = process.env.DATABASES_CONNECTIONS_NAME;
// The link to apis.live gives APIS_LIVE_ENDPOINT, the https callback URL of the stage.
const api = new ApiGatewayManagementApiClient({ endpoint: process.env.APIS_LIVE_ENDPOINT });

export const handler = async (event) => {
  const text = JSON.parse(event.body ?? "{}").text ?? "";
  const { Items = [] } = await db.send(new ScanCommand({ TableName }));
  await Promise.all(Items.map(async ({ connection_id }) => {
    try {
      await api.send(new PostToConnectionCommand({ ConnectionId: connection_id, Data: text }));
    } catch (err) {
      if (err.name === "GoneException") {
        await db.send(new DeleteCommand({ TableName, Key: { connection_id } }));
      } else throw err;
    }
  }));
  return { statusCode: 200 };
};
