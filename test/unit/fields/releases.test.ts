// Which Debian releases hosts may run, how a host's /etc/os-release maps to one, and what the
// roles see of it.
import { describe, expect, it } from "vitest";
import { parseReleaseList, releaseFromOs, releaseVars, supportedReleases } from "../../../src/fields/releases.js";
import { FACTS_SCRIPT, parseFacts } from "../../../src/engine/facts.js";
import { run } from "../../../src/util/exec.js";
import { releaseOfHost } from "../../../src/lab/lab.js";
import { labPackages } from "../../../src/lab/apt-repo.js";

describe("releases", () => {
  it("maps Debian 12 and 13 to their releases and refuses anything else, saying what it runs", () => {
    expect(releaseFromOs({ id: "debian", codename: "bookworm", version: "12" })).toBe("bookworm");
    expect(releaseFromOs({ id: "debian", codename: "trixie", version: "13" })).toBe("trixie");
    expect(() => releaseFromOs({ id: "debian", codename: "bullseye", version: "11" })).toThrow(
      "the host runs Debian 11 (bullseye); bgpmesh-provision supports Debian 12 (bookworm) and 13 (trixie)",
    );
    expect(() => releaseFromOs({ id: "ubuntu", codename: "noble", version: "24.04" })).toThrow("the host runs ubuntu 24.04 (noble);");
    expect(() => releaseFromOs({ id: "debian", codename: "forky", version: "" })).toThrow("the host runs Debian (no version) (forky);");
    expect(() => releaseFromOs({ id: "", codename: "", version: "" })).toThrow("the host runs a system with no /etc/os-release;");
    expect(supportedReleases()).toBe("Debian 12 (bookworm) and 13 (trixie)");
  });

  it("gives the roles Ansible's fact names", () => {
    expect(releaseVars("trixie")).toEqual({ ansible_distribution: "Debian", ansible_distribution_release: "trixie", ansible_distribution_major_version: "13" });
  });

  it("reads the facts a host prints (this controller is a Debian 12 machine)", async () => {
    const facts = parseFacts((await run("sh", ["-c", FACTS_SCRIPT])).stdout);
    expect(facts.os).toEqual({ id: "debian", codename: "bookworm", version: "12" });
    expect(parseFacts("F\tos\tdebian\ttrixie\t13\nR\t0\tx\n").os).toEqual({ id: "debian", codename: "trixie", version: "13" });
  });

  it("lab: --release lists are checked and cycled over the hosts; each release gets its own packages", () => {
    expect(parseReleaseList("bookworm,trixie")).toEqual(["bookworm", "trixie"]);
    expect(() => parseReleaseList("bookworm,sid")).toThrow("'sid' is not a release this tool supports: bookworm, trixie");
    expect(() => parseReleaseList("bookworm,")).toThrow("is not a list of releases");
    expect([1, 2, 3, 4, 5].map((n) => releaseOfHost(["bookworm", "trixie"], n))).toEqual(["bookworm", "trixie", "bookworm", "trixie", "bookworm"]);
    expect(labPackages("bookworm")).toContain("bird2");
    expect(labPackages("bookworm")).not.toContain("bird3");
    expect(labPackages("trixie")).toEqual(expect.arrayContaining(["bird2", "bird3", "etcd-server", "nodejs"]));
  });
});
