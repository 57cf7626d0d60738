// The notes API behind /api/*. API Gateway has already checked the caller's Cognito token;
// its claims are in event.requestContext.authorizer.jwt.claims.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TABLE = process.env.DATABASES_DATA_NAME;

const json = (statusCode, body) => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export const handler = async (event) => {
  if (event.routeKey === "GET /api/health") return json(200, { ok: true });
  const user = event.requestContext.authorizer?.jwt?.claims?.sub;
  if (!user) return json(401, { error: "unauthorized" });
  if (event.requestContext.http.method === "POST") {
    const note = JSON.parse(event.body ?? "{}");
    const sk = `note#${Date.now()}`;
    await db.send(new PutCommand({ TableName: TABLE, Item: { pk: user, sk, text: note.text } }));
    return json(201, { id: sk });
  }
  const out = await db.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: "pk = :u", ExpressionAttributeValues: { ":u": user },
  }));
  return json(200, out.Items);
};
