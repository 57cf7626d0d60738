function handler(event) {
  var response = event.response;
  response.headers['x-served-by'] = { value: 'cloudfront' };
  return response;
}
