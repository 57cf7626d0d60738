"""Generate the synthetic benchmark app: N services, each a function fed by a queue with a
dead-letter queue, linked to its own bucket."""

from __future__ import annotations

from pathlib import Path


def write_app(folder: Path, n: int) -> Path:
    """Write cloud.yaml for `n` services into `folder` (plus one shared code folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    code = folder / "src"
    code.mkdir(exist_ok=True)
    (code / "index.mjs").write_text("export const handler = async () => ({ ok: true });\n")
    lines = ["project:", "  name: Bench App", "  region: us-east-1", "storage:"]
    for i in range(n):
        lines.append(f"  files-{i}: {{ versioning: true }}")
    lines.append("queues:")
    for i in range(n):
        lines.append(f"  jobs-{i}: {{ visibility_timeout: 120, dead_letter: {{ max_receives: 5 }} }}")
    lines.append("functions:")
    for i in range(n):
        lines += [
            f"  worker-{i}:",
            "    code: ./src",
            "    memory: 256",
            "    timeout: 20",
            f"    link: [storage.files-{i}]",
            "    events:",
            f"      - queue: jobs-{i}",
        ]
    path = folder / "cloud.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
