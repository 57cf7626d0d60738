// notifier service
require("http").createServer((req, res) => res.end(JSON.stringify({ service: "notifier" }))).listen(8080);
