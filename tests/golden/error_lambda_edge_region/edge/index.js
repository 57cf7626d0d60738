exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const auth = request.headers.authorization;
  if (!auth || auth[0].value !== 'Basic bWVtYmVyOnNlY3JldA==') {
    return { status: '401', statusDescription: 'Unauthorized',
             headers: { 'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Basic' }] } };
  }
  return request;
};
