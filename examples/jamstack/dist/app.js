// Calls the API on the same origin: CloudFront sends /api/* to API Gateway.
const res = await fetch("/api/health");
document.getElementById("app").textContent = res.ok ? "Notes (API up)" : "Notes (API down)";
