import { describe, expect, it } from "vitest";
import { desiredState } from "../../../src/roles/index.js";
import { oneRole, projectFailure, setup } from "./helpers.js";

const KINDS = "package, directory, template, copy, service, command, certificate, sysctl";
const role = (yaml: string, templates: Record<string, string> = {}) => projectFailure(oneRole(yaml, templates));

describe("role files: every error names role.yml:line:column and the key", () => {
  it("notify naming no handler of the role", async () => {
    const yaml = "resources:\n  - service: { name: x, notify: restrt }\nhandlers:\n  restart: { service: x }\n";
    expect(await role(yaml)).toBe("roles/t/role.yml:2:33: resources[0].service.notify: unknown handler 'restrt' (this role's handlers: restart)");
    const inList = "resources:\n  - command:\n      name: c\n      run: x\n      notify: [restart, nope]\nhandlers:\n  restart: { service: x }\n";
    expect(await role(inList)).toBe("roles/t/role.yml:5:25: resources[0].command.notify[1]: unknown handler 'nope' (this role's handlers: restart)");
  });

  it("notify naming a handler of another role", async () => {
    const files = {
      "site.yml": "- hosts: all\n  roles: [u, t]\n",
      "roles/u/role.yml": "handlers:\n  reload u: { command: 'true' }\n",
      "roles/t/role.yml": "resources:\n  - package: { names: [x], when: true }\n  - directory: { path: /d, notify: reload u }\n",
    };
    expect(await projectFailure(files)).toBe("roles/t/role.yml:3:36: resources[1].directory.notify: unknown handler 'reload u' (this role has no handlers)");
  });

  it("unknown resource kind", async () => {
    expect(await role("resources:\n  - package: [x]\n  - pakage: [x]\n")).toBe(`roles/t/role.yml:3:5: resources[1]: unknown resource kind 'pakage' (kinds: ${KINDS})`);
  });

  it("two kinds in one item, or none", async () => {
    expect(await role("resources:\n  - package: [x]\n    service: { name: x }\n")).toBe(
      "roles/t/role.yml:3:5: resources[0]: one resource per item: 'package' and 'service' are both here",
    );
    expect(await role("resources:\n  - when: true\n")).toBe("roles/t/role.yml:2:5: resources[0]: expected a one-key map such as `- package: [cron]`: no resource kind given");
    expect(await role("resources:\n  - cron\n")).toBe(`roles/t/role.yml:2:5: resources[0]: expected a one-key map such as \`- package: [cron]\` (kinds: ${KINDS})`);
  });

  it("unknown key in a resource or in the file", async () => {
    expect(await role('resources:\n  - directory: { path: /x, mod: "0755" }\n')).toBe(
      "roles/t/role.yml:2:28: resources[0].directory: unknown key 'mod' (allowed: path, owner, group, mode, notify, when)",
    );
    expect(await role("defaults: {}\nresource: []\n")).toBe("roles/t/role.yml:2:1: resource: unknown key 'resource' in a role file (allowed: defaults, resources, handlers)");
  });

  it("a mode that is not quoted octal text", async () => {
    expect(await role('resources:\n  - directory: { path: /x, mode: "999" }\n')).toBe(
      'roles/t/role.yml:2:34: resources[0].directory.mode: expected an octal mode of 3 or 4 digits, e.g. "0644", got "999"',
    );
    expect(await role("resources:\n  - copy:\n      content: x\n      dest: /x\n      mode: 0644\n")).toBe(
      'roles/t/role.yml:5:13: resources[0].copy.mode: expected the mode as quoted octal text, e.g. "0644", got 0644',
    );
  });

  it("wrong types, missing and bad values", async () => {
    expect(await role("resources:\n  - copy: { dest: /x }\n")).toBe("roles/t/role.yml:2:11: resources[0].copy: a copy has either 'content' (text, may use variables) or 'file' (a file of the project, copied as is)");
    expect(await role("resources:\n  - service: { name: x, enabled: maybe }\n")).toBe(
      'roles/t/role.yml:2:34: resources[0].service.enabled: expected true or false, got "maybe"',
    );
    expect(await role("resources:\n  - service: { name: x, state: running }\n")).toBe(
      'roles/t/role.yml:2:32: resources[0].service.state: expected one of started, stopped, got "running"',
    );
    expect(await role("resources:\n  - package: [x, [y]]\n")).toBe("roles/t/role.yml:2:14: resources[0].package: expected a package name or a list of them, got a list");
    expect(await role("resources:\n  - command: { name: c, run: x, notify: 3 }\n")).toBe(
      "roles/t/role.yml:2:41: resources[0].command.notify: expected a handler name or a list of handler names, got 3",
    );
  });

  it("a relative path", async () => {
    expect(await role("resources:\n  - copy: { content: x, dest: etc/x }\n")).toBe('roles/t/role.yml:2:31: resources[0].copy.dest: expected an absolute path, got "etc/x"');
    expect(await role("resources:\n  - command: { name: c, run: x, creates: tmp/x }\n")).toBe(
      'roles/t/role.yml:2:42: resources[0].command.creates: expected an absolute path, got "tmp/x"',
    );
  });

  it("a template that does not exist", async () => {
    expect(await role("resources:\n  - template: { src: nope.njk, dest: /x }\n")).toBe(
      "roles/t/role.yml:2:22: resources[0].template.src: template 'nope.njk' not found in templates",
    );
    expect(await role("resources:\n  - template: { src: ../site.yml, dest: /x }\n")).toBe(
      "roles/t/role.yml:2:22: resources[0].template.src: template '../site.yml' not found in templates",
    );
  });

  it("bad handlers", async () => {
    expect(await role("handlers:\n  h: { service: x, command: z }\n")).toBe("roles/t/role.yml:2:6: handlers.h: a handler has either 'service' (with 'action') or 'command'");
    expect(await role("handlers:\n  h: { service: x, action: stop }\n")).toBe('roles/t/role.yml:2:28: handlers.h.action: expected one of restart, reload, got "stop"');
    expect(await role("handlers:\n  h: { command: x, action: reload }\n")).toBe("roles/t/role.yml:2:28: handlers.h.action: 'action' goes with 'service', not 'command'");
  });

  it("rolling handlers: serial, serial_if and jitter that make no sense", async () => {
    const h = (settings: string) => role(`handlers:\n  h:\n    service: x\n${settings}`);
    const sizes = 'expected true (one host at a time), a number of hosts (1 or more) or a percentage of the run\'s hosts such as "10%"';
    expect(await h("    serial: 0\n")).toBe(`roles/t/role.yml:4:13: handlers.h.serial: ${sizes}, got 0`);
    expect(await h("    serial: false\n")).toBe(`roles/t/role.yml:4:13: handlers.h.serial: ${sizes}, got false`);
    expect(await h("    serial: 2.5\n")).toBe(`roles/t/role.yml:4:13: handlers.h.serial: ${sizes}, got 2.5`);
    expect(await h('    serial: "0%"\n')).toBe(`roles/t/role.yml:4:13: handlers.h.serial: ${sizes}, got "0%"`);
    expect(await h('    serial: "150%"\n')).toBe(`roles/t/role.yml:4:13: handlers.h.serial: ${sizes}, got "150%"`);
    expect(await h('    serial: "five"\n')).toBe(`roles/t/role.yml:4:13: handlers.h.serial: ${sizes}, got "five"`);
    expect(await h("    jitter: 1\n")).toBe("roles/t/role.yml:4:13: handlers.h.jitter: 'jitter' goes with 'serial' or 'serial_if'");
    expect(await h("    serial: 2\n    jitter: -1\n")).toBe("roles/t/role.yml:5:13: handlers.h.jitter: expected 0 to 60 seconds, got -1");
    expect(await h("    serial: 2\n    jitter: 90\n")).toBe("roles/t/role.yml:5:13: handlers.h.jitter: expected 0 to 60 seconds, got 90");
    expect(await h("    serial: 2\n    jitter: 2s\n")).toBe('roles/t/role.yml:5:13: handlers.h.jitter: expected a number of seconds, got "2s"');
    expect(await h("    serial: 2\n    wait_timeout: 5\n")).toBe("roles/t/role.yml:5:19: handlers.h.wait_timeout: 'wait_timeout' goes with 'wait'");
  });

  it("tags that are not fixed names", async () => {
    expect(await role("resources:\n  - package: [x]\n    tags: [ok, 'no spaces']\n")).toBe(
      'roles/t/role.yml:3:16: resources[0].tags[1]: expected a tag name: letters, digits, _ . -, got "no spaces"',
    );
    expect(await role("resources:\n  - package: [x]\n    tags: { a: b }\n")).toBe("roles/t/role.yml:3:11: resources[0].tags: expected a tag name or a list of them, got a map");
    expect(await role("handlers:\n  h: { command: x, tags: '{{ t }}' }\n")).toBe(
      'roles/t/role.yml:2:26: handlers.h.tags: expected a tag name: letters, digits, _ . -, got "{{ t }}"',
    );
  });

  it("the same path managed twice on a host", async () => {
    const yaml = "resources:\n  - copy: { content: a, dest: /etc/x }\n  - directory: { path: /etc/d }\n  - template: { src: t.njk, dest: /etc//x/ }\n";
    expect(await role(yaml, { "t.njk": "b" })).toBe("roles/t/role.yml:4:5: /etc/x is managed twice on host a: here and at roles/t/role.yml:2");
  });
});

describe("site.yml", () => {
  const site = (text: string) => projectFailure({ "site.yml": text, "roles/t/role.yml": "" });

  it("an unknown role", async () => {
    expect(await site("- hosts: all\n  roles: [t, nope]\n")).toBe("site.yml:2:14: [0].roles[1]: unknown role 'nope' (there is no roles/nope/role.yml beside the site file, nor a shipped role of that name)");
  });

  it("an unknown group or host", async () => {
    expect(await site("- hosts: all\n  roles: [t]\n- hosts: [g, etcdd]\n  roles: [t]\n")).toBe(
      "site.yml:3:14: [1].hosts[1]: unknown group or host 'etcdd' (not in inventory.yml; its groups: all, ungrouped, g)",
    );
    expect(await site("- hosts: a,zz\n  roles: [t]\n")).toBe("site.yml:1:10: [0].hosts: unknown group or host 'zz' (not in inventory.yml; its groups: all, ungrouped, g)");
  });

  it("a play marked optional may name a group the inventory lacks", async () => {
    const { project, inv } = await setup(oneRole("resources:\n  - copy: { content: x, dest: /etc/x }\n", {}, "- hosts: pull\n  roles: [t]\n  optional: true\n"));
    expect(desiredState(project, inv, "a").resources).toEqual([]);
  });

  it("unknown keys and wrong types", async () => {
    expect(await site("- hosts: all\n  role: [t]\n")).toBe("site.yml:2:3: [0]: unknown key 'role' (allowed: name, hosts, roles, optional)");
    expect(await site("- hosts: all\n  roles: t\n")).toBe('site.yml:2:10: [0].roles: expected a list, got "t"');
    expect(await site("- roles: [t]\n")).toBe("site.yml:1:3: [0]: 'hosts' is required");
    expect(await site("hosts: all\n")).toBe("site.yml:1:1: expected a list of plays (- hosts: ...), got a map");
  });
});
