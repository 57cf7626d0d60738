export const handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ user: event.requestContext?.authorizer?.jwt?.claims?.sub ?? null }),
});
