import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSshConfig, VagrantInputError } from "../../../src/vagrant/ssh-config.js";
import { LIBVIRT, VIRTUALBOX } from "./helpers.js";

const parse = (text: string) => parseSshConfig(text, "ssh-config.txt");

function errorOf(text: string): string {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(VagrantInputError);
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

describe("parseSshConfig", () => {
  it("reads VirtualBox's port forwards, ignoring Vagrant's no-checking options", () => {
    const hosts = parseSshConfig(readFileSync(VIRTUALBOX, "utf8"), VIRTUALBOX);
    expect(hosts).toEqual([
      { name: "node1", line: 1, hostName: "127.0.0.1", port: 2222, user: "vagrant", identityFiles: ["/home/u/proj/vagrant/.vagrant/machines/node1/virtualbox/private_key"] },
      { name: "node2", line: 14, hostName: "127.0.0.1", port: 2200, user: "vagrant", identityFiles: ["/home/u/proj/vagrant/.vagrant/machines/node2/virtualbox/private_key"] },
      { name: "node3", line: 27, hostName: "127.0.0.1", port: 2201, user: "vagrant", identityFiles: ["/home/u/proj/vagrant/.vagrant/machines/node3/virtualbox/private_key"] },
    ]);
  });

  it("reads libvirt's machine addresses, quoted paths and repeated IdentityFiles in order", () => {
    const [node1, , node3] = parseSshConfig(readFileSync(LIBVIRT, "utf8"), LIBVIRT);
    expect(node1).toMatchObject({ name: "node1", hostName: "192.168.121.57", port: 22, user: "vagrant" });
    expect(node1!.identityFiles).toEqual([
      "/home/u/my proj/vagrant/.vagrant/machines/node1/libvirt/private_key",
      "/home/u/.vagrant.d/insecure_private_keys/vagrant.key.ed25519",
    ]);
    expect(node3).toMatchObject({ name: "node3", hostName: "192.168.121.24" });
  });

  it("takes keywords in any case, with = or spaces, the first value of a repeated one, and defaults Port to 22", () => {
    const text = "# made by hand\nhost web-1\n\thostname=10.0.0.5\n  USER  admin\n  User other\n  identityfile = /k\n";
    expect(parse(text)).toEqual([{ name: "web-1", line: 2, hostName: "10.0.0.5", port: 22, user: "admin", identityFiles: ["/k"] }]);
  });

  it("names the file and line of what it cannot use", () => {
    expect(errorOf("Host node1\n  User vagrant\n  Port 22\n")).toBe("ssh-config.txt:1: Host node1 has no HostName");
    expect(errorOf("Host node1\n  HostName 10.0.0.1\n")).toBe("ssh-config.txt:1: Host node1 has no User");
    expect(errorOf("Host node1\n  HostName 10.0.0.1\n  User v\n  Port 70000\n")).toBe(
      "ssh-config.txt:4: Port '70000' is not a port number (1 to 65535)",
    );
    expect(errorOf("  HostName 10.0.0.1\nHost node1\n")).toBe("ssh-config.txt:1: HostName before any Host line");
    expect(errorOf("Host a\n  HostName x\n  User v\nHost a\n")).toBe("ssh-config.txt:4: Host 'a' appears twice (first at line 1)");
    expect(errorOf("Host a b\n")).toBe("ssh-config.txt:1: Host 'a b' names several hosts; Vagrant writes one per block");
    expect(errorOf("Host n/1\n")).toMatch(/^ssh-config\.txt:1: Host 'n\/1' cannot be an inventory host name/);
    expect(errorOf('Host a\n  IdentityFile "/home/u/x\n')).toBe('ssh-config.txt:2: unterminated quote in "/home/u/x');
    expect(errorOf("Host a\n  HostName\n")).toBe("ssh-config.txt:2: cannot read 'HostName' (expected a keyword and its value)");
  });

  it("refuses a ProxyCommand rather than connecting somewhere else", () => {
    expect(errorOf("Host a\n  HostName x\n  User v\n  ProxyCommand ssh jump nc %h %p\n")).toBe(
      "ssh-config.txt:4: ProxyCommand is not supported: bgpmesh-provision connects to HostName:Port directly",
    );
  });

  it("says when there is nothing to read", () => {
    expect(errorOf("\n")).toBe("ssh-config.txt: no Host blocks: is any machine up (`vagrant status`)?");
  });
});
