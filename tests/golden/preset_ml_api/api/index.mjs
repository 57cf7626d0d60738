// POST /chat {conversation, message} -> the model's answer; GET /conversations/{id} -> history.
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";

const bedrock = new BedrockRuntimeClient({});
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TableName = process.env.DATABASES_CONVERSATIONS_NAME;
const modelId = process.env.AI_ASSISTANT_MODEL_ID;
const json = (statusCode, body) => ({
  statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body),
});

const history = async (id) => (await db.send(new QueryCommand({
  TableName, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": id },
}))).Items ?? [];

export const handler = async (event) => {
  if (event.routeKey === "GET /conversations/{id}") {
    return json(200, await history(event.pathParameters.id));
  }
  const { conversation = randomUUID(), message } = JSON.parse(event.body ?? "{}");
  if (!message) return json(400, { error: "message is required" });
  const past = await history(conversation);
  const messages = [...past.map((m) => ({ role: m.role, content: [{ text: m.text }] })),
                    { role: "user", content: [{ text: message }] }];
  const out = await bedrock.send(new ConverseCommand({
    modelId, messages, inferenceConfig: { maxTokens: 1024 },
  }));
  const answer = out.output.message.content.map((c) => c.text ?? "").join("");
  const expires_at = Math.floor(Date.now() / 1000) + 30 * 86400;
  const now = Date.now();
  for (const [i, [role, text]] of [["user", message], ["assistant", answer]].entries()) {
    await db.send(new PutCommand({ TableName, Item: {
      pk: conversation, sk: `${now}-${i}`, role, text, expires_at } }));
  }
  return json(200, { conversation, answer });
};
