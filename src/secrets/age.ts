// The one place that talks to the age library: passphrase (scrypt) encryption, ASCII-armored so an
// encrypted vars file is text to git and to `age -d` alike.
import { webcrypto } from "node:crypto";
import { armor, Decrypter, Encrypter } from "age-encryption";

// The pull bundle runs on Debian's Node 18, which has no global Web Crypto; the library draws the
// salt and file key from it (decryption alone does without).
if (globalThis.crypto?.getRandomValues === undefined) {
  Object.defineProperty(globalThis, "crypto", { value: webcrypto, configurable: true, writable: true });
}

/**
 * 2^16 costs about 0.2 s and 64 MiB per file here; age's own default (2^18) costs 1 s and 400+ MiB
 * in this pure-JavaScript scrypt, on every inventory load, on every node that pulls. The key this
 * tool recommends is 32 random bytes, which no work factor needs to strengthen. Files written with
 * `age -p` (2^18) still decrypt.
 */
export const SCRYPT_LOG_N = 16;

/** What an encrypted vars file's name ends in (group_vars/all/vault.yml.age), as age's own tools name them. */
export const ENCRYPTED_EXT = ".age";

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";

export type DecryptFailure = "wrong-key" | "not-age" | "damaged" | "too-costly";

/** Why a file could not be decrypted; says nothing about the key or the text. */
export class DecryptError extends Error {
  constructor(readonly reason: DecryptFailure) {
    super(
      {
        "wrong-key": "wrong key (or not an age file encrypted with a passphrase)",
        "not-age": `not an age encrypted file (expected ${ARMOR_BEGIN})`,
        damaged: "the encrypted file is damaged (its authentication failed)",
        "too-costly": "its scrypt work factor is above 2^20, more than the age library accepts",
      }[reason],
    );
    this.name = "DecryptError";
  }
}

/** The armored age file holding `plain`, encrypted with the passphrase `key`. */
export async function encryptText(plain: string, key: string): Promise<string> {
  const e = new Encrypter();
  e.setPassphrase(key);
  e.setScryptWorkFactor(SCRYPT_LOG_N);
  return armor.encode(await e.encrypt(plain));
}

/** The text inside an age file, armored or binary (as `age -p -o` writes by default). */
export async function decryptText(file: Uint8Array, key: string): Promise<string> {
  let raw = file;
  const head = Buffer.from(file.subarray(0, 200)).toString("latin1").trimStart();
  if (head.startsWith(ARMOR_BEGIN)) {
    try {
      raw = armor.decode(Buffer.from(file).toString("utf8"));
    } catch {
      throw new DecryptError("not-age");
    }
  } else if (!head.startsWith("age-encryption.org/")) {
    throw new DecryptError("not-age");
  }
  const d = new Decrypter();
  d.addPassphrase(key);
  try {
    return await d.decrypt(raw, "text");
  } catch (e) {
    // The library's messages are fixed strings (no key or text in them); these are the ones that
    // mean something to the user.
    const msg = (e as Error).message;
    if (/no identity matched/.test(msg)) throw new DecryptError("wrong-key");
    if (/work factor is too high/.test(msg)) throw new DecryptError("too-costly");
    if (/^invalid (version|stanza|header$|non-ASCII)|stanza|not the only one/.test(msg)) throw new DecryptError("not-age");
    throw new DecryptError("damaged");
  }
}
