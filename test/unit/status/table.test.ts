import { describe, expect, it } from "vitest";
import { parseStatus } from "../../../src/status/probe.js";
import { judgeHost, unreachable } from "../../../src/status/status.js";
import { localTime, renderTable, summaryLine } from "../../../src/status/table.js";
import { answer, LAST_RUN_FAILED, LAST_RUN_OK, NODE1, SHOW_PROTOCOLS_ALL } from "./fixtures.js";

const ALL_UP = `${SHOW_PROTOCOLS_ALL.replace("start  05:14:14.428  Active        Socket: Connection refused", "up     05:14:14.428  Established")}@@exit 0`;

const statuses = [
  judgeHost("node1", parseStatus(answer({ agent: "active\nloaded", bird: ALL_UP, lastRun: LAST_RUN_OK })), 2),
  unreachable("node2", "node2 (192.0.2.12:22): connection timed out after 5s"),
  judgeHost("node3", parseStatus(answer({ agent: "inactive\nloaded", bird: "@@exit 0", lastRun: LAST_RUN_FAILED })), 2),
  judgeHost("bastion", parseStatus(answer({ agent: "inactive\nnot-found", bird: "sh: birdc: not found\n@@exit 127", lastRun: "@@absent" })), undefined),
];

describe("the status table", () => {
  it("aligns one line a host, with the reason a host is unreachable, the routes filtered and a failed run in capitals", () => {
    expect(renderTable(statuses, { color: false, timeZone: "UTC" })).toBe(
      [
        "HOST     REACHABLE                           AGENT     SESSIONS  FILTERED  LAST APPLY",
        "node1    yes                                 active    2/2       2         2026-11-24 05:14 push from ctl, 4 changed",
        "node2    no (connection timed out after 5s)  -         -         -         -",
        "node3    yes                                 inactive  0/2       0         FAILED 2026-11-24 06:02 pull from node3, 1 changed",
        "bastion  yes                                 -         -         -         never",
        "",
      ].join("\n"),
    );
  });

  it("sums the hosts up in one line naming each problem", () => {
    expect(summaryLine(statuses, false)).toBe(
      "4 hosts: 2 ok, 2 with problems (node2: unreachable; node3: agent inactive, sessions 0/2, last apply FAILED)\n",
    );
    expect(summaryLine(statuses.slice(0, 1), false)).toBe("1 host: 1 ok\n");
  });

  it("colours good green and problems red only when asked, the columns still aligned", () => {
    const plain = renderTable(statuses, { color: false, timeZone: "UTC" });
    const coloured = renderTable(statuses, { color: true, timeZone: "UTC" });
    expect(plain).not.toContain("\u001b[");
    expect(coloured).toContain("\u001b[32mactive\u001b[39m");
    expect(coloured).toContain("\u001b[31mno (connection timed out after 5s)\u001b[39m");
    expect(coloured).toContain("\u001b[31mFAILED 2026-11-24 06:02 pull from node3, 1 changed\u001b[39m");
    // filtered routes are worth a look, not a failure: yellow, and a 0 plain
    expect(coloured).toContain("\u001b[33m2\u001b[39m");
    expect(coloured).not.toMatch(/\u001b\[\d+m0\u001b/);
    expect(coloured.replace(/\u001b\[\d+m/g, "")).toBe(plain);
  });

  it("shows the record's time in the zone asked for, and text from the host without control codes", () => {
    expect(localTime("2026-11-24T05:14:10+00:00", "Europe/Berlin")).toBe("2026-11-24 06:14");
    expect(localTime("yesterday", "UTC")).toBe("yesterday");
    const odd = judgeHost("node1", parseStatus(answer({ agent: "active\nloaded", bird: ALL_UP, lastRun: LAST_RUN_OK.replace('"ctl"', '"ctl\\u001b[2J"') })), 2);
    expect(renderTable([odd], { color: false, timeZone: "UTC" })).toContain("push from ctl?[2J, 4 changed");
  });
});
