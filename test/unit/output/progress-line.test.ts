import { describe, expect, it } from "vitest";
import { ProgressLine, progressText } from "../../../src/output/progress-line.js";

/** What a terminal would show: each \r\x1b[K wipes the current line. */
function screen(written: string): string {
  const lines: string[] = [""];
  for (const part of written.split(/(\r\u001b\[K|\n)/)) {
    if (part === "\r\u001b[K") lines[lines.length - 1] = "";
    else if (part === "\n") lines.push("");
    else lines[lines.length - 1] += part;
  }
  return lines.join("\n");
}

describe("the progress line", () => {
  it("reads as counts of hosts done, running and failed", () => {
    expect(progressText({ total: 100, done: 37, running: 16, failed: 2 })).toBe("[ 37/100 done, 16 running, 2 failed ]");
  });

  it("on a terminal: one line at the bottom, the per-host lines above it, gone at the end", () => {
    let out = "";
    const line = new ProgressLine((t) => (out += t), { live: true, intervalMs: 0 });
    line.begin(3);
    line.start();
    line.start();
    expect(screen(out)).toBe("[ 0/3 done, 2 running, 0 failed ]");
    line.print("node1: applying 2 change(s)\n");
    line.done({ status: "changed" });
    line.print("node1: changed 2 (1.00s)\n");
    line.start();
    line.done({ status: "unreachable" });
    line.print("node2: UNREACHABLE (10.00s)\n");
    expect(screen(out)).toBe("node1: applying 2 change(s)\nnode1: changed 2 (1.00s)\nnode2: UNREACHABLE (10.00s)\n[ 2/3 done, 1 running, 1 failed ]");
    let stdout = "";
    line.print("a plan\n", (t) => (stdout += t));
    expect(stdout).toBe("a plan\n");
    line.close();
    expect(screen(out).endsWith("\n")).toBe(true);
    expect(screen(out)).not.toContain("[ 2/3");
  });

  it("elsewhere: the plain lines only, not a control character", () => {
    let out = "";
    const line = new ProgressLine((t) => (out += t), { live: false });
    line.begin(2);
    line.start();
    line.print("node1: ok, no changes (0.30s)\n");
    line.done({ status: "ok" });
    line.close();
    expect(out).toBe("node1: ok, no changes (0.30s)\n");
  });

  it("redraws at most once an interval however many hosts move, and shows the last counts", async () => {
    let clock = 0;
    let writes = 0;
    let out = "";
    const line = new ProgressLine(
      (t) => {
        writes++;
        out += t;
      },
      { live: true, intervalMs: 50, now: () => clock },
    );
    line.begin(100);
    for (let i = 0; i < 100; i++) line.start();
    for (let i = 0; i < 100; i++) line.done({ status: i < 3 ? "failed" : "ok" });
    expect(writes).toBe(1);
    clock = 50;
    await new Promise((r) => setTimeout(r, 80));
    expect(writes).toBe(2);
    expect(screen(out)).toBe("[ 100/100 done, 0 running, 3 failed ]");
    line.close();
  });
});
