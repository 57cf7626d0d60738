// orders service
require("http").createServer((req, res) => res.end(JSON.stringify({ service: "orders" }))).listen(8080);
