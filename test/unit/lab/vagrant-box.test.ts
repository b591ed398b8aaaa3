// `lab box`: what it refuses before it touches anything, and the box's own Vagrantfile settings.
// The box itself is built and booted by `npm run test:vagrant` (test/vagrant/vagrant.test.ts).
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { boxName, buildVagrantBox, vagrantPublicKey } from "../../../src/lab/vagrant-box.js";

describe("lab box", () => {
  it("refuses a login key that is not there, before building anything", async () => {
    const logged: string[] = [];
    await expect(buildVagrantBox({ release: "bookworm", out: "/nonexistent/x.box", aptSources: "", loginKey: "/nonexistent/key.pub" }, (m) => logged.push(m))).rejects.toThrow(
      "login key /nonexistent/key.pub: no such file",
    );
    expect(logged).toEqual([]);
  });

  it("names the box as the Vagrantfile's BGPMESH_VAGRANT_BOX example does, and finds Vagrant's key where vagrant is installed", () => {
    expect(boxName("bookworm")).toBe("bgpmesh/bookworm64");
    const key = vagrantPublicKey();
    if (key !== undefined) expect(existsSync(key) && key.endsWith("/keys/vagrant.pub")).toBe(true);
  });
});
