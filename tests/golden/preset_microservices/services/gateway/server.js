// gateway service
require("http").createServer((req, res) => res.end(JSON.stringify({ service: "gateway" }))).listen(8080);
