// post_confirmation trigger: Cognito waits for the returned event.
export const handler = async (event) => event;
