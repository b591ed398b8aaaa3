import { describe, expect, it } from "vitest";
import { desiredState } from "../../../src/roles/index.js";
import { oneRole, projectFailure, setup } from "./helpers.js";

describe("copy: { file: ... }", () => {
  it("copies a project file as it is: no variables rendered, binary content as base64", async () => {
    const role = `resources:
  - copy: { file: files/app.js, dest: /usr/local/lib/app.js, mode: "0644" }
  - copy: { file: files/blob.bin, dest: /usr/local/lib/blob.bin }
`;
    const { project, inv } = await setup({ ...oneRole(role), "files/app.js": "const x = `{{ not a variable }}`;\n", "files/blob.bin": "\u0000\u0001\u0002" });
    const files = desiredState(project, inv, "a").resources;
    expect(files[0]).toMatchObject({ kind: "file", path: "/usr/local/lib/app.js", content: "const x = `{{ not a variable }}`;\n", secret: false });
    expect(files[0]).not.toHaveProperty("binary");
    expect(files[1]).toMatchObject({ kind: "file", binary: true, content: Buffer.from([0, 1, 2]).toString("base64") });
  });

  it("names the role file's line when the file is missing, or when both content and file are given", async () => {
    expect(await projectFailure(oneRole("resources:\n  - copy: { file: files/nope.js, dest: /x }\n"))).toMatch(
      /roles\/t\/role\.yml:2:\d+: resources\[0\]\.copy\.file: file 'files\/nope\.js' not found \(for host a\)/,
    );
    expect(await projectFailure(oneRole("resources:\n  - copy: { file: a, content: b, dest: /x }\n"))).toMatch(
      /roles\/t\/role\.yml:2:\d+: resources\[0\]\.copy: a copy has either 'content'/,
    );
  });
});
