import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";

const sns = new SNSClient({});

export const handler = async (event) => {
  await sns.send(new PublishCommand({
    TopicArn: process.env.TOPICS_ORDER_EVENTS_ARN,
    Message: JSON.stringify(event),
  }));
  return { ok: true };
};
