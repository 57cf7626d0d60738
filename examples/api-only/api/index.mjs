// One handler for every route: API Gateway (HTTP API, payload 2.0) gives the route key.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TableName = process.env.DATABASES_DATA_NAME;
const json = (statusCode, body) => ({
  statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body),
});

export const handler = async (event) => {
  const id = event.pathParameters?.id;
  switch (event.routeKey) {
    case "GET /items": {
      const out = await db.send(new QueryCommand({
        TableName, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": "item" },
      }));
      return json(200, out.Items);
    }
    case "POST /items": {
      const item = { pk: "item", sk: randomUUID(), ...JSON.parse(event.body ?? "{}") };
      await db.send(new PutCommand({ TableName, Item: item }));
      return json(201, item);
    }
    case "GET /items/{id}": {
      const out = await db.send(new GetCommand({ TableName, Key: { pk: "item", sk: id } }));
      return out.Item ? json(200, out.Item) : json(404, { error: "not found" });
    }
    case "DELETE /items/{id}":
      await db.send(new DeleteCommand({ TableName, Key: { pk: "item", sk: id } }));
      return { statusCode: 204 };
    default:
      return json(404, { error: "no such route" });
  }
};
