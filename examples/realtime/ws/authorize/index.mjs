// REQUEST authorizer for $connect: the client connects to wss://...?token=SECRET.
export const handler = async (event) => {
  const ok = event.queryStringParameters?.token === process.env.CHAT_TOKEN;
  return {
    principalId: "chat-user",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: ok ? "Allow" : "Deny", Resource: event.methodArn }],
    },
  };
};
