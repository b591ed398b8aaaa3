import { describe, expect, it } from "vitest";
import { ProgressLine, progressText, progressWithSteps } from "../../../src/output/progress-line.js";

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
    line.done({ host: "node1", status: "changed" });
    line.print("node1: changed 2 (1.00s)\n");
    line.start();
    line.done({ host: "node2", status: "unreachable" });
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
    line.done({ host: "node1", status: "ok" });
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
    for (let i = 0; i < 100; i++) line.done({ host: `node${i}`, status: i < 3 ? "failed" : "ok" });
    expect(writes).toBe(1);
    clock = 50;
    await new Promise((r) => setTimeout(r, 80));
    expect(writes).toBe(2);
    expect(screen(out)).toBe("[ 100/100 done, 0 running, 3 failed ]");
    line.close();
  });

  it("names the step each running host is on, the longest-waiting first, and counts those that do not fit", () => {
    const c = { total: 3, done: 0, running: 3, failed: 0 };
    const steps = new Map([
      ["node1", { step: "handler restart etcd", since: 5000 }],
      ["node2", { step: "install packages bird2, tinc", since: 1000 }],
      ["node3", { step: "create file /etc/bird/bird.conf", since: 9000 }],
    ]);
    expect(progressWithSteps(c, steps, 13_000, 200)).toBe(
      "[ 0/3 done, 3 running, 0 failed ] node2: install packages bird2, tinc 12s | node1: handler restart etcd 8s | node3: create file /etc/bird/bird.conf 4s",
    );
    expect(progressWithSteps(c, steps, 13_000, 80)).toBe("[ 0/3 done, 3 running, 0 failed ] node2: install packages bird2, tinc 12s | +2");
    expect(progressWithSteps(c, steps, 13_000, 60)).toBe("[ 0/3 done, 3 running, 0 failed ] node2: install package… +2");
    expect(progressWithSteps(c, steps, 13_000, 40)).toBe("[ 0/3 done, 3 running, 0 failed ] +3");
    expect(progressWithSteps(c, new Map(), 0, 80)).toBe("[ 0/3 done, 3 running, 0 failed ]");
  });

  it("on a terminal, shows a host's step until it is done; elsewhere, never", () => {
    let out = "";
    let clock = 0;
    const line = new ProgressLine((t) => (out += t), { live: true, intervalMs: 0, now: () => clock, columns: () => 120 });
    line.begin(2);
    line.start();
    line.step("node1", "install packages etcd-server");
    clock = 3000;
    line.print("node2: ok, no changes (0.30s)\n");
    expect(screen(out)).toBe("node2: ok, no changes (0.30s)\n[ 0/2 done, 1 running, 0 failed ] node1: install packages etcd-server 3s");
    line.done({ host: "node1", status: "changed" });
    expect(screen(out).endsWith("[ 1/2 done, 0 running, 0 failed ]")).toBe(true);
    line.close();
    // A pty that says it has 0 columns is taken as 80 wide: the counts stay whole.
    let zero = "";
    const bare = new ProgressLine((t) => (zero += t), { live: true, intervalMs: 0, now: () => clock, columns: () => 0 });
    bare.begin(1);
    bare.start();
    bare.step("node1", "install packages etcd-server");
    expect(screen(zero)).toBe("[ 0/1 done, 1 running, 0 failed ] node1: install packages etcd-server 0s");
    bare.close();
    let plain = "";
    const off = new ProgressLine((t) => (plain += t), { live: false });
    off.begin(1);
    off.step("node1", "install packages etcd-server");
    off.close();
    expect(plain).toBe("");
  });
});
