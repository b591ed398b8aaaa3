// The probe's answers as lab hosts gave them (Debian 12, systemd 252), recorded on a 50-host lab
// on this machine, and console output of a host that did not boot in the 24-host lab of the issue.
import { describe, expect, it } from "vitest";
import { bootProblem, hostProblem, likelyLimit, parseStateProbe, stateProbe } from "../../../src/lab/host-state.js";

const RUNNING = "state running\n";

/**
 * node2 with two failed units: one whose program is missing, and one (started with systemd-run)
 * that printed the message the hosts logged for user@0.service.
 */
const DEGRADED = `state degraded
failed broken-demo.service
log broken-demo.service Started broken-demo.service.
log broken-demo.service broken-demo.service: Failed at step EXEC spawning /usr/sbin/no-such-daemon: No such file or directory
log broken-demo.service broken-demo.service: Main process exited, code=exited, status=203/EXEC
log broken-demo.service broken-demo.service: Failed with result 'exit-code'.
failed lab100-probe-demo.service
log lab100-probe-demo.service Started lab100-probe-demo.service - /usr/bin/sh -c echo "Failed to create control group inotify object: Too many open files" >&2; exit 1.
log lab100-probe-demo.service Failed to create control group inotify object: Too many open files
log lab100-probe-demo.service lab100-probe-demo.service: Main process exited, code=exited, status=1/FAILURE
log lab100-probe-demo.service lab100-probe-demo.service: Failed with result 'exit-code'.
`;

/** A host whose boot had not finished when the wait ran out, written by hand in the shape of `systemctl list-jobs --no-legend --plain`. */
const STARTING = `state starting
job 120 user@0.service                  start running
job 1   graphical.target                 start waiting
`;

/**
 * node17's console in the 24-host lab before limits were raised: PID 1 could not start at all.
 * The lines from "Failed to allocate" on are node17's; the start is every host's first lines.
 */
const NODE17_CONSOLE = `Spawning container bgpmesh-h100-node17 on /var/lib/bgpmesh/lab/h100/hosts/node17/root.
Press ^] three times within 1s to kill container.
Some capabilities will not be set because they are not in the current bounding set.
Detected virtualization systemd-nspawn.\r\r
Detected architecture x86-64.\r\r
Failed to allocate manager object: Too many open files
\u001b[0;1;31m[!!!!!!]\u001b[0m Failed to allocate manager object.
Exiting PID 1...
Container bgpmesh-h100-node17 failed with error code 255.
Attempted to remove disk file system under "/run/systemd/nspawn/propagate/bgpmesh-h100-node17", and we can't allow that.
launcher: systemd-nspawn exited with 255 at 12:26:19
`;

describe("a lab host's systemd state", () => {
  it("passes a running host", () => {
    expect(parseStateProbe(RUNNING)).toEqual({ state: "running", failed: [], jobs: [] });
    expect(hostProblem("node1", parseStateProbe(RUNNING))).toBeUndefined();
  });

  it("names a degraded host, its failed units, their journal and the kernel limit they point at", () => {
    const state = parseStateProbe(DEGRADED);
    expect(state.failed.map((f) => f.unit)).toEqual(["broken-demo.service", "lab100-probe-demo.service"]);
    expect(state.failed[1]!.journal).toContain("Failed to create control group inotify object: Too many open files");
    const problem = hostProblem("node2", state)!;
    expect(problem).toMatch(/^node2: systemd is degraded; failed units: broken-demo.service, lab100-probe-demo.service\n/);
    expect(problem).toContain("broken-demo.service: Failed at step EXEC spawning /usr/sbin/no-such-daemon");
    expect(problem).toMatch(/likely cause: the machine-wide kernel limit fs.inotify.max_user_instances/);
  });

  it("names no limit when the failed units' journal shows none", () => {
    const onlyMissingProgram = DEGRADED.split("failed lab100-probe-demo.service")[0]!;
    const problem = hostProblem("node2", parseStateProbe(onlyMissingProgram))!;
    expect(problem).toContain("failed units: broken-demo.service");
    expect(problem).not.toContain("likely cause");
  });

  it("names a host whose boot did not finish with the jobs it still held", () => {
    const problem = hostProblem("node9", parseStateProbe(STARTING))!;
    expect(problem).toContain("node9: systemd is starting, boot not finished; jobs still queued:");
    expect(problem).toContain("120 user@0.service start running");
  });

  it("treats output without a state line (ssh cut short) as not running", () => {
    expect(hostProblem("node4", parseStateProbe(""))).toBe("node4: systemd is unknown");
  });

  it("names a host that never booted with its console's last lines and the likely limit", () => {
    const problem = bootProblem("node17", "the container exited before sshd answered", NODE17_CONSOLE);
    expect(problem).toMatch(/^node17: the container exited before sshd answered\n/);
    expect(problem).toContain("[!!!!!!] Failed to allocate manager object.");
    expect(problem).not.toContain("\u001b[");
    expect(problem).not.toContain("\r");
    expect(problem).toMatch(/likely cause: the machine-wide kernel limit fs.inotify.max_user_instances/);
  });

  it("reads only the host's last boot from its console", () => {
    const rebooted = `${NODE17_CONSOLE}Spawning container bgpmesh-h100-node17 on /var/lib/bgpmesh/lab/h100/hosts/node17/root.\nlauncher: systemd-nspawn exited with 1 at 12:40:00\n`;
    expect(bootProblem("node17", "exited", rebooted)).not.toContain("likely cause");
  });

  it("maps kernel messages to the limits behind them", () => {
    expect(likelyLimit(["Failed to add watch on /run/systemd/ask-password: inotify watch limit reached"])).toBe("fs.inotify.max_user_watches");
    expect(likelyLimit(["neighbour table overflow!"])).toBe("net.ipv4.neigh.default.gc_thresh3");
    expect(likelyLimit(["sshd: fork: Resource temporarily unavailable"])).toBe("kernel.pid_max / kernel.threads-max");
    expect(likelyLimit(["Started Daily apt download activities."])).toBeUndefined();
  });

  it("waits for the boot only when asked, and prints one tagged line per fact", () => {
    expect(stateProbe(0)).not.toContain("--wait");
    expect(stateProbe(120)).toContain("timeout 120 systemctl is-system-running --wait");
  });
});
