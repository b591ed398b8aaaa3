import { describe, expect, it } from "vitest";
import type { Resource } from "../../../src/model/resource.js";
import type { FileResource } from "../../../src/resources/file.js";
import { loadInventory, parseExtraVars } from "../../../src/inventory/index.js";
import { desiredState, loadProject, projectSecrets } from "../../../src/roles/index.js";
import { FIXTURE, oneRole, setup } from "./helpers.js";

const load = async (extra: string[] = []) => ({
  project: await loadProject(`${FIXTURE}/site.yml`),
  inv: await loadInventory(`${FIXTURE}/inventory.yml`, { extraVars: parseExtraVars(extra) }),
});
const file = (resources: Resource[], path: string) => resources.find((r): r is FileResource => r.kind === "file" && r.path === path);

describe("the fixture project", () => {
  it("gives each host the roles of every matching play, in play order, each once", async () => {
    const { project, inv } = await load();
    expect(desiredState(project, inv, "node1").roles).toEqual(["etcd", "demo"]);
    expect(desiredState(project, inv, "node2").roles).toEqual(["demo"]);
    expect(desiredState(project, inv, "node3").roles).toEqual(["demo"]);
  });

  it("produces resources in role then file order, with defaults, rendered strings and origins", async () => {
    const { project, inv } = await load();
    const node3 = desiredState(project, inv, "node3");
    expect(node3.resources.map((r) => `${r.kind} ${r.origin.where}`)).toEqual([
      "package roles/demo/role.yml:7",
      "directory roles/demo/role.yml:8",
      "file roles/demo/role.yml:9",
      "file roles/demo/role.yml:16",
      "service roles/demo/role.yml:17",
      "command roles/demo/role.yml:18",
      // the guarded command (line 19) is dropped: demo_enabled is false for node3
    ]);
    const [pkg, dir, conf, copy, service, marker] = node3.resources;
    expect(pkg).toEqual({ kind: "package", names: ["tinc", "cron"], origin: { where: "roles/demo/role.yml:7" } });
    expect(dir).toEqual({ kind: "directory", path: "/etc/demo", owner: "root", group: "root", mode: "0755", notify: [], origin: { where: "roles/demo/role.yml:8" } });
    expect(conf).toMatchObject({
      kind: "file",
      path: "/etc/demo/demo.conf",
      owner: "root",
      group: "demo",
      mode: "0640",
      validate: "grep -q greeting %s",
      notify: ["restart demo"],
      secret: false,
      source: "template:demo/demo.conf.njk",
    });
    expect(copy).toEqual({
      kind: "file",
      path: "/etc/demo/static.txt",
      content: "static text hello\n",
      owner: "root",
      group: "root",
      mode: "0600",
      notify: [],
      secret: false,
      source: "content",
      origin: { where: "roles/demo/role.yml:16" },
    });
    expect(service).toEqual({ kind: "service", name: "cron", enabled: true, state: "started", notify: [], origin: { where: "roles/demo/role.yml:17" } });
    expect(marker).toEqual({
      kind: "command",
      name: "make marker",
      run: "touch /var/lib/demo/marker",
      creates: "/var/lib/demo/marker",
      notify: [],
      origin: { where: "roles/demo/role.yml:18" },
    });
  });

  it("renders templates with set, for, macros, default(), groups, group_names and other hosts' hostvars", async () => {
    const { project, inv } = await load();
    const conf = file(desiredState(project, inv, "node3").resources, "/etc/demo/demo.conf");
    expect(conf?.content).toBe(
      [
        "",
        "# node3 (groups: ungrouped)",
        "greeting = hello",
        "port = 8080", // role default: node3 is not in mesh; the if and set tags leave no line
        "",
        "peers = node1 node2 ", // groups.all, in inventory order
        "etcd = 192.0.2.11:2379", // node1's etcd_port comes from its own role etcd, which node3 lacks
        "extra = none",
        "default = unset",
        "",
      ].join("\n"),
    );
    expect(file(desiredState(project, inv, "node1").resources, "/etc/demo/demo.conf")?.content).toContain("\n# node1 (groups: etcd,mesh)\n");
    const etcd = file(desiredState(project, inv, "node1").resources, "/etc/etcd/etcd.conf");
    expect(etcd?.content).toBe("name = node1\nlisten = 192.0.2.11:2379\ncluster = node1=http://192.0.2.11:2379\n");
  });

  it("inventory values beat role defaults, a later role's default beats an earlier one's, -e beats all", async () => {
    const { project, inv } = await load();
    const port = (h: string) => /port = (\d+)/.exec(file(desiredState(project, inv, h).resources, "/etc/demo/demo.conf")?.content ?? "")?.[1];
    expect([port("node1"), port("node2"), port("node3")]).toEqual(["9090", "9090", "8080"]);
    // node1 has etcd's default demo_greeting and demo's: demo comes later, so its default wins.
    expect(file(desiredState(project, inv, "node1").resources, "/etc/demo/static.txt")?.content).toBe("static text hello\n");
    const extra = await load(["demo_port=7000", "demo_greeting=hey"]);
    const node2 = desiredState(extra.project, extra.inv, "node2").resources;
    expect(file(node2, "/etc/demo/static.txt")?.content).toBe("static text hey\n");
    expect(file(node2, "/etc/demo/demo.conf")?.content).toContain("port = 7000\n");
  });

  it("keeps a resource whose `when:` is true and renders its strings", async () => {
    const { project, inv } = await load();
    const node2 = desiredState(project, inv, "node2");
    expect(node2.resources.at(-1)).toEqual({
      kind: "command",
      name: "enable demo on port 9090",
      run: "demo-ctl enable --port 9090",
      unless: "test -f /etc/demo/enabled",
      notify: ["restart demo", "reload cron"],
      origin: { where: "roles/demo/role.yml:19" },
    });
  });

  it("lists the handlers of the host's roles, in role and file order", async () => {
    const { project, inv } = await load();
    expect(desiredState(project, inv, "node1").handlers).toEqual([
      { name: "restart etcd", run: "systemctl restart etcd", origin: { where: "roles/etcd/role.yml:9" } },
      { name: "restart demo", run: "systemctl restart demo", origin: { where: "roles/demo/role.yml:26" } },
      { name: "reload cron", run: "systemctl reload cron", origin: { where: "roles/demo/role.yml:27" } },
    ]);
    expect(desiredState(project, inv, "node3").handlers.map((h) => h.name)).toEqual(["restart demo", "reload cron"]);
  });

  it("reads a rolling handler's size, test and jitter: a count, a share of the run's hosts, or true for one", async () => {
    const { project, inv } = await setup(
      oneRole(
        [
          "handlers:",
          "  one: { service: a, serial: true }",
          "  five: { service: b, serial: 5, jitter: 0.5, wait: 'test -e /run/b', wait_timeout: 9 }",
          '  tenth: { service: c, serial: "10%", serial_if: "test -d /var/lib/{{ inventory_hostname }}" }',
          "  test: { service: d, serial_if: 'true' }",
          "  plain: { service: e }",
        ].join("\n") + "\n",
      ),
    );
    expect(desiredState(project, inv, "a").handlers.map((h) => [h.name, h.rolling, h.wait])).toEqual([
      ["one", { size: { hosts: 1 } }, undefined],
      ["five", { size: { hosts: 5 }, jitterSec: 0.5 }, { command: "test -e /run/b", timeoutSec: 9 }],
      ["tenth", { size: { percent: 10 }, if: "test -d /var/lib/a" }, undefined],
      ["test", { size: { hosts: 1 }, if: "true" }, undefined],
      ["plain", undefined, undefined],
    ]);
  });

  it("marks a file secret when it holds a secret value, and only then", async () => {
    const { project, inv } = await load();
    const node1 = file(desiredState(project, inv, "node1").resources, "/etc/demo/demo.conf");
    expect(node1?.secret).toBe(true);
    expect(node1?.content).toContain("token = tok-S3CRET-42"); // the engine gets the real bytes
    expect(file(desiredState(project, inv, "node2").resources, "/etc/demo/demo.conf")?.secret).toBe(false);
    expect(projectSecrets(project)).toEqual([]);
  });
});

describe("secrets", () => {
  it("a secret reached through hostvars, or from role defaults, also makes a file secret", async () => {
    const { project, inv } = await setup(
      oneRole(
        "defaults:\n  t_pw: !secret role-PW-LEAK\nresources:\n  - copy: { content: \"{{ hostvars.a.a_token }}\", dest: /x }\n  - copy: { content: \"{{ t_pw }}\", dest: /y }\n  - copy: { content: \"{{ t_pw | length }}\", dest: /z }\n",
      ),
    );
    const [x, y, z] = desiredState(project, inv, "b").resources as FileResource[];
    expect([x?.content, x?.secret]).toEqual(["a-T0KEN-LEAK", true]);
    expect([y?.content, y?.secret]).toEqual(["role-PW-LEAK", true]);
    expect([z?.content, z?.secret]).toEqual(["12", false]);
    expect(projectSecrets(project).map((s) => s.reveal())).toEqual(["role-PW-LEAK"]);
  });
});

describe("when:", () => {
  const role = (when: string) => oneRole(`defaults:\n  flag: true\n  word: "no"\n  items: []\nresources:\n  - command: { name: c, run: x, when: ${when} }\n`);
  it.each([
    ["true", 1],
    ["false", 0],
    ['"{{ flag }}"', 1],
    ['"{{ word }}"', 0],
    ['"{{ 0 }}"', 0],
    ['"{{ \'\' }}"', 0],
    ["flag and inventory_hostname == 'a'", 1],
    ["not flag", 0],
    ["items", 0],
    ["groups.g", 1],
    ["word", 0],
  ])("when: %s keeps %i resources on host a", async (when, n) => {
    const { project, inv } = await setup(role(when));
    expect(desiredState(project, inv, "a").resources).toHaveLength(n);
  });

  it("may also stand beside the resource, as in Ansible", async () => {
    const { project, inv } = await setup(oneRole("resources:\n  - package: [x]\n    when: inventory_hostname == 'b'\n"));
    expect(desiredState(project, inv, "a").resources).toHaveLength(0);
    expect(desiredState(project, inv, "b").resources).toHaveLength(1);
  });
});

describe("tags:", () => {
  const yaml = [
    "resources:",
    "  - package: [x]",
    "    tags: duty",
    "  - directory: { path: /d, notify: reload d }",
    "  - command: { name: c, run: 'true', notify: [restart d] }",
    "    tags: [duty, other]",
    "  - copy: { content: hi, dest: /d/y }",
    "    tags: [other]",
    "handlers:",
    "  restart d: { service: d }",
    "  reload d: { service: d, action: reload }",
    "  audit: { command: 'true', tags: [duty] }",
    "",
  ].join("\n");

  it("a host restricted to a tag gets only the resources carrying it, and the handlers they notify or that carry it", async () => {
    const { project, inv } = await setup(oneRole(yaml));
    const duty = desiredState(project, inv, "a", "duty");
    expect(duty.resources.map((r) => `${r.kind} ${r.origin.where}`)).toEqual(["package roles/t/role.yml:2", "command roles/t/role.yml:5"]);
    expect(duty.handlers.map((h) => h.name)).toEqual(["restart d", "audit"]);
    expect(desiredState(project, inv, "a", "none")).toMatchObject({ resources: [], handlers: [] });
    // Without a restriction tags change nothing.
    const all = desiredState(project, inv, "a");
    expect(all.resources).toHaveLength(4);
    expect(all.handlers.map((h) => h.name)).toEqual(["restart d", "reload d", "audit"]);
  });

  it("a resource left out for the tag is not even rendered", async () => {
    const { project, inv } = await setup(oneRole("resources:\n  - package: [x]\n    tags: [duty]\n  - copy: { content: '{{ nowhere }}', dest: /y }\n"));
    expect(desiredState(project, inv, "a", "duty").resources).toHaveLength(1);
    expect(() => desiredState(project, inv, "a")).toThrow(/'nowhere' is undefined/);
  });
});
