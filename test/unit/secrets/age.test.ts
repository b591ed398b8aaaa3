import { describe, expect, it } from "vitest";
import { decryptText, DecryptError, encryptText } from "../../../src/secrets/age.js";
import { AGE_TESTS, KEY, OTHER_KEY } from "./helpers.js";

const PLAIN = "bgp_password: hunter2-LEAK\n";
const bytes = (t: string) => new TextEncoder().encode(t);

describe("age encryption", AGE_TESTS, () => {
  it("round-trips text as ASCII armor that does not contain the plaintext", async () => {
    const armored = await encryptText(PLAIN, KEY);
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n$/);
    expect(armored).not.toContain("hunter2");
    expect(armored).not.toContain(KEY);
    expect(await decryptText(bytes(armored), KEY)).toBe(PLAIN);
    // A new salt and nonce every time: the same text never encrypts to the same file.
    expect(await encryptText(PLAIN, KEY)).not.toBe(armored);
  });

  it("says 'wrong key' for another key, without the key in the message", async () => {
    const armored = await encryptText(PLAIN, KEY);
    const err = await decryptText(bytes(armored), OTHER_KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptError);
    expect((err as DecryptError).reason).toBe("wrong-key");
    expect((err as Error).message).not.toContain(OTHER_KEY);
  });

  it("tells a plain file and a damaged one apart from a wrong key", async () => {
    expect(await decryptText(bytes(PLAIN), KEY).catch((e: DecryptError) => e.reason)).toBe("not-age");
    expect(await decryptText(bytes("-----BEGIN AGE ENCRYPTED FILE-----\n!!!\n"), KEY).catch((e: DecryptError) => e.reason)).toBe("not-age");
    const armored = await encryptText(PLAIN, KEY);
    const lines = armored.split("\n");
    // Flip one character of the payload, past the header (the last full line before END).
    const i = lines.length - 3;
    lines[i] = lines[i]!.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    expect(await decryptText(bytes(lines.join("\n")), KEY).catch((e: DecryptError) => e.reason)).toBe("damaged");
  });
});
