// The lab's network: one bridge in the controller's namespace, and per host a network
// namespace joined to the bridge by a veth pair. There is no default route and no forwarding, so
// lab hosts reach only each other and the bridge address (where the apt repository listens).
import { existsSync } from "node:fs";
import { run, succeeds } from "../util/exec.js";
import type { LabHost, LabLayout } from "./layout.js";

const ip = (...args: string[]) => run("ip", args);

export const linkExists = (name: string): Promise<boolean> => succeeds("ip", ["link", "show", "dev", name]);
export const netnsExists = (name: string): boolean => existsSync(`/run/netns/${name}`);

export async function ensureBridge(lab: LabLayout): Promise<void> {
  if (!(await linkExists(lab.bridge))) {
    await ip("link", "add", "name", lab.bridge, "type", "bridge");
  }
  const v6 = lab.underlay === "ipv6";
  const { stdout } = await ip(v6 ? "-6" : "-4", "-o", "addr", "show", "dev", lab.bridge);
  if (!stdout.includes(` ${lab.bridgeAddress}/${lab.prefixlen} `)) {
    await ip("addr", "add", `${lab.bridgeAddress}/${lab.prefixlen}`, "dev", lab.bridge, ...noDad(lab));
  }
  await ip("link", "set", lab.bridge, "up");
}

/**
 * An IPv6 address is "tentative" for a second or two after it is added (duplicate address
 * detection), and nothing can bind to or send from it until then: the repository server would fail
 * to listen and a host's sshd would not answer. The lab alone hands out its addresses, so DAD has
 * nothing to find.
 */
const noDad = (lab: LabLayout): string[] => (lab.underlay === "ipv6" ? ["nodad"] : []);

export async function removeBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await ip("link", "del", bridge);
}

export async function createHostNetwork(lab: LabLayout, host: LabHost): Promise<void> {
  await ip("netns", "add", host.netns);
  await ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.netns);
  await ip("link", "set", host.veth, "master", lab.bridge, "up");
  await ip("-n", host.netns, "addr", "add", `${host.address}/${lab.prefixlen}`, "dev", "eth0", ...noDad(lab));
  await ip("-n", host.netns, "link", "set", "eth0", "up");
  await ip("-n", host.netns, "link", "set", "lo", "up");
}

/** Removes the host's veth and namespace, whichever of them exist (a crash may leave either). */
export async function removeHostNetwork(host: LabHost): Promise<void> {
  if (await linkExists(host.veth)) await ip("link", "del", host.veth);
  if (netnsExists(host.netns)) await ip("netns", "del", host.netns);
}

export async function hostNetworkReady(lab: LabLayout, host: LabHost): Promise<boolean> {
  if (!netnsExists(host.netns)) return false;
  const { stdout, code } = await run("ip", ["-o", "link", "show", "dev", host.veth], { allowFailure: true });
  return code === 0 && stdout.includes(`master ${lab.bridge} `);
}
