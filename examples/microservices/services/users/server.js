// users service
require("http").createServer((req, res) => res.end(JSON.stringify({ service: "users" }))).listen(8080);
