import { Command, InvalidArgumentError } from "commander";
import pLimit from "p-limit";
import { hostsOf, loadInventory, parseExtraVars } from "../inventory/index.js";
import { ETCD_GROUP, MESH_GROUP } from "../mesh/derive.js";
import { hostValues, loadProject } from "../roles/index.js";
import type { Transport } from "../transport/transport.js";
import { secretsKeyFileOption } from "../secrets/key.js";
import { sleep, stopwatch } from "../util/time.js";
import { connectHost } from "./connect.js";
import { extraVarsOption, inventoryOption, siteOption, timeoutOption } from "./shared-options.js";
import { judge, meshNodes } from "../verify/matrix.js";
import { observeScript, parseObservation, type HostView } from "../verify/observe.js";

function seconds(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value);
  if (!m) throw new InvalidArgumentError("a duration like 60s, 2m or 90");
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}

export function verifyCommand(): Command {
  return new Command("verify")
    .description("check the whole mesh over SSH: BGP sessions, tinc reachability, announced routes, etcd health")
    .addOption(inventoryOption({ required: true }))
    .addOption(extraVarsOption())
    .addOption(siteOption())
    .addOption(secretsKeyFileOption())
    .option("--wait <duration>", "keep checking until the mesh has converged, up to this long", seconds, 0)
    .addOption(timeoutOption(10))
    .option("--no-color", "no ANSI colours (verify prints none; accepted like plan and apply)")
    .action(async (flags: { inventory: string; extraVars: string[]; site: string; wait: number; timeout: number }) => {
      const elapsed = stopwatch();
      const inv = await loadInventory(flags.inventory, { extraVars: parseExtraVars(flags.extraVars) });
      const values = hostValues(await loadProject(flags.site), inv);
      const mesh = inv.groups.has(MESH_GROUP) ? hostsOf(inv, MESH_GROUP) : [];
      if (mesh.length === 0) throw new Error(`${flags.inventory}: no hosts in group '${MESH_GROUP}': nothing to verify`);
      const nodes = meshNodes(mesh, values);
      const etcdMembers = inv.groups.has(ETCD_GROUP) ? hostsOf(inv, ETCD_GROUP).length : 0;
      const endpoints = String(values.get(mesh[0]!)?.["etcd_endpoints"] ?? "");
      const transports = new Map<string, Promise<Transport>>();
      const connect = (h: string) => {
        let t = transports.get(h);
        if (!t) {
          t = connectHost(inv, h, { timeout: flags.timeout });
          t.catch(() => transports.delete(h));
          transports.set(h, t);
        }
        return t;
      };
      const limit = pLimit(16);
      try {
        for (;;) {
          const views = new Map<string, HostView | string>();
          await Promise.all(
            nodes.map((n) =>
              limit(async () => {
                try {
                  // Each other node's IPv4 mesh address, and its IPv6 one where both have IPv6.
                  const others = nodes.filter((o) => o !== n).flatMap((o) => [o.meshAddress, ...(n.v6 && o.v6 ? [o.v6.meshAddress] : [])]);
                  const r = await (await connect(n.host)).exec(observeScript(others));
                  views.set(n.host, parseObservation(r.stdout));
                } catch (e) {
                  views.set(n.host, (e as Error).message);
                }
              }),
            ),
          );
          let healthy = 0;
          if (etcdMembers > 0) {
            // The node's own etcdctl settings (its certificate, with TLS): what the agent itself has.
            const r = await (await connect(mesh[0]!))
              .exec(`set -a; ETCDCTL_API=3; ETCDCTL_ENDPOINTS=${endpoints}; [ -f /etc/bgpmesh/etcd.env ] && . /etc/bgpmesh/etcd.env; set +a; etcdctl endpoint health 2>&1`)
              .catch(() => undefined);
            healthy = (r?.stdout.match(/is healthy/g) ?? []).length;
          }
          const verdict = judge(nodes, views, { healthy, members: etcdMembers });
          if (verdict.converged || elapsed() >= flags.wait) {
            console.log(verdict.table);
            for (const p of verdict.problems) console.log(`  ${p}`);
            console.log(verdict.converged ? `converged (${elapsed().toFixed(1)}s)` : `NOT converged after ${elapsed().toFixed(1)}s`);
            process.exitCode = verdict.converged ? 0 : 1;
            return;
          }
          await sleep(1000);
        }
      } finally {
        await Promise.all([...transports.values()].map((t) => t.then((x) => x.close()).catch(() => undefined)));
      }
    });
}
