// Invoked by SES once per message; the raw message is in the bucket under inbound/<messageId>.
export const handler = async (event) => {
  for (const record of event.Records ?? []) {
    console.log(record.ses.mail.messageId, record.ses.mail.commonHeaders.subject);
  }
};
