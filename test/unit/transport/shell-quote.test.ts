import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { asRoot, shellQuote } from "../../../src/transport/shell-quote.js";

const tricky = [
  "",
  "plain",
  "two words",
  "it's",
  "'''",
  `"double" and 'single'`,
  "$HOME ${HOME} $(id -u) `id -u`",
  "back\\slash \\' \\\\",
  "line one\nline two\n",
  "tab\there; semicolon & amp | pipe > gt < lt",
  "glob * ? [a-z] ~ # hash !bang",
  "unicodé ✓ 日本",
  "-n",
  "--",
];

describe("shellQuote", () => {
  it("survives sh -c byte for byte, whatever the string holds", () => {
    for (const s of tricky) {
      const out = execFileSync("sh", ["-c", `printf '%s' ${shellQuote(s)}`], { encoding: "utf8" });
      expect(out).toBe(s);
    }
  });

  it("keeps each string one word, even side by side", () => {
    const out = execFileSync("sh", ["-c", `for a in ${tricky.map(shellQuote).join(" ")}; do printf '[%s]' "$a"; done`], { encoding: "utf8" });
    expect(out).toBe(tricky.map((s) => `[${s}]`).join(""));
  });

  it("leaves plain words alone", () => {
    expect(shellQuote("/run/bgpmesh.lock")).toBe("/run/bgpmesh.lock");
    expect(shellQuote("a b")).toBe("'a b'");
  });
});

describe("asRoot", () => {
  it("runs the command with sh -c for root, through sudo -n otherwise", () => {
    expect(asRoot("id -u", "root")).toBe("sh -c 'id -u'");
    expect(asRoot("id -u", "alice")).toBe("sudo -n -- sh -c 'id -u'");
  });

  it("hands the command to the inner sh unchanged", () => {
    const command = `printf '%s\\n' "it's" '$HOME' '\`x\`'; echo "$((1+2))"`;
    // The outer sh stands in for the login shell that parses the line ssh sends.
    const direct = execFileSync("sh", ["-c", command], { encoding: "utf8" });
    const viaLine = execFileSync("sh", ["-c", asRoot(command, "root")], { encoding: "utf8" });
    expect(viaLine).toBe(direct);
    expect(direct).toBe("it's\n$HOME\n`x`\n3\n");
  });
});
