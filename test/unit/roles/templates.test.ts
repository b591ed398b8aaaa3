import { describe, expect, it } from "vitest";
import type { FileResource } from "../../../src/resources/file.js";
import { desiredState } from "../../../src/roles/index.js";
import { failure, oneRole, projectFailure, setup } from "./helpers.js";

const HINT = "(not set by the inventory, -e, or the role defaults of t)";
const ROLE = "defaults:\n  yes_flag: true\n  no_flag: false\n  nothing:\n  names: [ab, cd]\nresources:\n  - template: { src: t.njk, dest: /etc/t }\n";

/** Renders t.njk (plus other templates) for host a; returns the file's content. */
async function render(template: string, others: Record<string, string> = {}, role = ROLE): Promise<string> {
  const { project, inv } = await setup(oneRole(role, { "t.njk": template, ...others }));
  return (desiredState(project, inv, "a").resources[0] as FileResource).content;
}

/** The error rendering t.njk for host a fails with. */
async function renderError(template: string, others: Record<string, string> = {}, role = ROLE): Promise<string> {
  const { dir, project, inv } = await setup(oneRole(role, { "t.njk": template, ...others }));
  return failure(() => desiredState(project, inv, "a"), dir);
}

describe("a variable nothing defines is an error naming the template, line, variable and host", () => {
  it("in output", async () => {
    expect(await renderError("a\nb\nport = {{ demo_port }}\n")).toBe(`templates/t.njk:3: 'demo_port' is undefined for host a ${HINT}`);
  });

  it("inside {% if %}, when the branch is taken", async () => {
    const template = "x\n{% if yes_flag %}\n  v = {{ missing }}\n{% endif %}\n";
    expect(await renderError(template)).toBe(`templates/t.njk:3: 'missing' is undefined for host a ${HINT}`);
    // not taken: nothing reads it, as in Ansible
    // and the tags' own line breaks go (trimBlocks, as in Ansible)
    expect(await render(template.replace("yes_flag", "no_flag"))).toBe("x\n");
  });

  it("in an {% if %} condition, a {% for %} list and a function call's arguments", async () => {
    expect(await renderError("{% if nope %}y{% endif %}")).toBe(`templates/t.njk:1: 'nope' is undefined for host a ${HINT}`);
    expect(await renderError("\n{% for i in nope %}{{ i }}{% endfor %}")).toBe(`templates/t.njk:2: 'nope' is undefined for host a ${HINT}`);
    expect(await renderError("\n\n{{ names | join(sep) }}")).toBe(`templates/t.njk:3: 'sep' is undefined for host a ${HINT}`);
  });

  it("a missing key of a defined variable names the whole expression", async () => {
    expect(await renderError("{{ hostvars.b.nope }}")).toBe("templates/t.njk:1: 'hostvars.b.nope' is undefined for host a");
    expect(await renderError("{% for h in groups.all %}\n{{ hostvars[h].a_token }}{% endfor %}")).toBe("templates/t.njk:2: 'hostvars[h].a_token' is undefined for host a");
  });

  it("in an included template, at the included template's line", async () => {
    const inc = { "inc/part.njk": "one\ntwo {{ nope }}\n" };
    expect(await renderError("{% include 'inc/part.njk' %}", inc)).toBe(`templates/inc/part.njk:2: 'nope' is undefined for host a ${HINT}`);
  });

  it("a value set to nothing cannot be printed", async () => {
    expect(await renderError("\n{{ nothing }}")).toBe("templates/t.njk:2: 'nothing' is null (set to nothing) for host a, and a template cannot print null");
    expect(await render("{{ nothing is none }}")).toBe("true");
  });
});

describe("what the template defines itself, or guards, is not an error", () => {
  it.each([
    ["{% set x = 1 %}{{ x }}", "1"],
    ["{% set x %}cap{% endset %}{{ x }}", "cap"],
    ["{% for i in names %}{{ i }}{{ loop.index }}{% endfor %}", "ab1cd2"],
    ["{% for k, v in {a: 1} %}{{ k }}{{ v }}{% endfor %}", "a1"],
    ["{% for i in [] %}{% else %}none{% endfor %}", "none"],
    ["{% macro m(p, q=2) %}{{ p }}{{ q }}{% endmacro %}{{ m(1) }}", "12"],
    ["{% if nope is defined %}{{ nope }}{% endif %}", ""],
    ["{% if nope is not defined %}ok{% endif %}", "ok"],
    ["{{ nope | default('d') }}{{ nope.deeper | d('e') }}", "de"],
    ["{{ nope if nope is defined else 'f' }}", "f"],
    ["{% set x = nope | default(3) %}{{ x + 1 }}", "4"],
    ["{{ range(2) | join(',') }}{{ 'a,b'.split(',') | length }}", "0,12"],
    ["{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}in{% endcall %}", "[in]"],
    ["{% filter upper %}up {{ names[0] }}{% endfilter %}", "UP AB"],
    ["{% raw %}{{ not_a_variable }}{% endraw %}", "{{ not_a_variable }}"],
    ["{% set c = cycler('o', 'e') %}{% for i in names %}{{ c.next() }}{{ loop.last }}{% endfor %}", "ofalseetrue"],
    ["{% include 'gone.njk' ignore missing %}ok", "ok"],
    ["{{ {'k': names}.k[1] }} {{ [1, 2][0] }} {{ 'ab' in names }}", "cd 1 true"],
    ["{% set j = joiner('+') %}{% for i in names %}{{ j() }}{{ i }}{% endfor %}", "ab+cd"],
  ])("%s", async (template, out) => {
    expect(await render(template)).toBe(out);
  });

  it("blocks and super() in an extended template", async () => {
    const base = { "base.njk": "[{% block b %}parent{% endblock %}]" };
    expect(await render("{% extends 'base.njk' %}{% block b %}child {{ super() }} {{ inventory_hostname }}{% endblock %}", base)).toBe("[child parent a]");
  });

  it("macros imported from another template; host variables only when imported with context", async () => {
    const lib = { "lib.njk": "{% macro kv(k, v) %}{{ k }}={{ v }}{% endmacro %}{% macro me() %}{{ inventory_hostname }}{% endmacro %}" };
    expect(await render("{% import 'lib.njk' as l %}{{ l.kv('a', 1) }} {% from 'lib.njk' import kv %}{{ kv('b', 2) }}", lib)).toBe("a=1 b=2");
    expect(await render("{% import 'lib.njk' as l with context %}{{ l.me() }}", lib)).toBe("a");
    expect(await renderError("{% import 'lib.njk' as l %}{{ l.me() }}", lib)).toBe(`templates/lib.njk:1: 'inventory_hostname' is undefined for host a ${HINT}`);
  });
});

describe("problems found when the project is loaded, before any host", () => {
  it("a template syntax error, at its line", async () => {
    expect(await projectFailure(oneRole(ROLE, { "t.njk": "ok\n{% if %}\n" }))).toBe("templates/t.njk:2: template syntax error: unexpected token: %}");
  });

  it("an unknown filter, at its line", async () => {
    expect(await projectFailure(oneRole(ROLE, { "t.njk": "\n{{ names | jion(',') }}" }))).toBe("templates/t.njk:2: unknown filter 'jion'");
  });
});

describe("strings in role files", () => {
  it("an undefined variable is reported at the string's place in role.yml", async () => {
    const role = 'resources:\n  - copy: { content: "x {{ nope }}", dest: /x }\n';
    expect(await projectFailure(oneRole(role))).toBe(`roles/t/role.yml:2:22: resources[0].copy.content: 'nope' is undefined for host a ${HINT}`);
  });

  it("in a block scalar, at the line inside it", async () => {
    const role = "resources:\n  - command:\n      name: c\n      run: |\n        echo one\n        echo {{ nope }}\n";
    expect(await projectFailure(oneRole(role))).toBe(`roles/t/role.yml:6: resources[0].command.run: 'nope' is undefined for host a ${HINT}`);
  });

  it("in when:, at the condition", async () => {
    const role = "resources:\n  - package: [x]\n    when: nope and true\n";
    expect(await projectFailure(oneRole(role))).toBe(`roles/t/role.yml:3:11: resources[0].when: 'nope' is undefined for host a ${HINT}`);
  });
});

describe("no error message holds a secret value", () => {
  it.each([
    ["a rendered path", 'resources:\n  - copy: { content: x, dest: "{{ a_token }}" }\n', "roles/t/role.yml:2:31: resources[0].copy.dest: expected an absolute path, got \"‹secret›\" (for host a)"],
    ["a rendered template name", "resources:\n  - template: { src: \"{{ a_token }}\", dest: /x }\n", "roles/t/role.yml:2:22: resources[0].template.src: template '‹secret›' not found in templates (for host a)"],
    ["an include of a secret name", "resources:\n  - copy: { content: \"{% include a_token %}\", dest: /x }\n", "roles/t/role.yml:2:22: resources[0].copy.content: template error: template not found: ‹secret›"],
    ["a handler's unit", "handlers:\n  h: { service: \"{{ a_token }} x\" }\n", "roles/t/role.yml:2:17: handlers.h.service: not a systemd unit name: \"‹secret› x\" (for host a)"],
  ])("%s", async (_, role, shown) => {
    const message = await projectFailure(oneRole(role));
    expect(message).toBe(shown);
    expect(message).not.toContain("T0KEN");
  });
});
