// The lab's local apt repository: the .deb files of every package roles install, with the
// dependencies a fresh lab host lacks, downloaded once on the controller and indexed as a flat
// repository. Lab hosts then run a plain `apt-get install` against it, with no internet.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { run } from "../util/exec.js";
import { withDirLock } from "../util/lock.js";
import { projectFile } from "../util/project.js";
import type { Release } from "../fields/releases.js";
import type { Image } from "./image.js";
import { CACHE_ROOT } from "./layout.js";
import { debianSources } from "./mirror.js";

const RECIPE_VERSION = 1;
const COMPLETE = ".bgpmesh-repo";

export interface AptRepo {
  release: Release;
  key: string;
  dir: string;
  packages: string[];
}

/** The packages of packages.txt for `release`: lines with no release named, and those naming it. */
export function labPackages(release: Release): string[] {
  return readFileSync(projectFile("src/lab/packages.txt"), "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim().split(/\s+/))
    .filter(([name, ...only]) => name && (only.length === 0 || only.includes(release)))
    .map(([name]) => name!);
}

const reposDir = (): string => join(CACHE_ROOT, "repos");

export async function ensureAptRepo(image: Image, log: (msg: string) => void): Promise<AptRepo> {
  const packages = labPackages(image.release);
  const key = createHash("sha256")
    .update(JSON.stringify({ image: image.key, packages, RECIPE_VERSION }))
    .digest("hex")
    .slice(0, 12);
  const dir = join(reposDir(), key);
  if (existsSync(join(dir, COMPLETE))) return { release: image.release, key, dir, packages };
  // One lock per repository: each release's is built side by side (its apt state is its own).
  return withDirLock(join(reposDir(), ".locks", key), async () => {
    if (existsSync(join(dir, COMPLETE))) return { release: image.release, key, dir, packages };
    log(`downloading ${packages.length} packages of ${image.release} and their dependencies into the lab's apt repository`);
    const tmp = `${dir}.building`;
    rmSync(tmp, { recursive: true, force: true });
    await downloadWith(image, join(tmp, "debs"), async (apt) => {
      // One package at a time: alternatives that conflict (bird2, bird3) are both served.
      for (const p of packages) await run("apt-get", [...apt, "install", "--download-only", "-y", p]);
      // Security updates the image lacks, so `apt-get upgrade` on a lab host works as on a real one.
      await run("apt-get", [...apt, "upgrade", "--download-only", "-y"]);
    });
    const index = await run("dpkg-scanpackages", ["--multiversion", "debs", "/dev/null"], { cwd: tmp });
    writeFileSync(join(tmp, "Packages"), index.stdout);
    writeFileSync(join(tmp, "Packages.gz"), gzipSync(index.stdout));
    writeFileSync(join(tmp, COMPLETE), packages.join("\n") + "\n");
    renameSync(tmp, dir);
    return { release: image.release, key, dir, packages };
  });
}

/**
 * Downloads `packages` and the dependencies `image` lacks into `dir`, from Debian's archive (the
 * controller's own apt state and sources untouched): what a chroot of the image then installs.
 */
export function downloadForImage(image: Image, packages: string[], dir: string): Promise<void> {
  return downloadWith(image, dir, (apt) => run("apt-get", [...apt, "install", "--download-only", "--no-install-recommends", "-y", ...packages]));
}

/**
 * Updates the isolated apt's lists, then runs `download` with its options (isolatedApt) and `dir` as
 * its archive folder, which then holds the .deb files only (not apt's partial/ and lock).
 */
async function downloadWith(image: Image, dir: string, download: (apt: string[]) => Promise<unknown>): Promise<void> {
  mkdirSync(join(dir, "partial"), { recursive: true });
  const apt = isolatedApt(image, dir);
  await run("apt-get", [...apt, "update"]);
  await download(apt);
  rmSync(join(dir, "partial"), { recursive: true, force: true });
  rmSync(join(dir, "lock"), { force: true });
}

/**
 * apt-get options that resolve against the image's dpkg database and Debian's archive only,
 * ignoring the controller's own sources, pins and settings.
 */
function isolatedApt(image: Image, archives: string): string[] {
  const base = join(CACHE_ROOT, "apt", image.release);
  for (const d of ["etc/parts", "etc/sources.list.d", "etc/preferences.d", "lists/partial", "cache"]) {
    mkdirSync(join(base, d), { recursive: true });
  }
  writeFileSync(join(base, "etc/sources.list"), debianSources(image.release));
  const o = (k: string, v: string) => ["-o", `${k}=${v}`];
  return [
    ...o("Dir::Etc::Parts", join(base, "etc/parts")),
    ...o("Dir::Etc::SourceList", join(base, "etc/sources.list")),
    ...o("Dir::Etc::SourceParts", join(base, "etc/sources.list.d")),
    ...o("Dir::Etc::Preferences", join(base, "etc/preferences")),
    ...o("Dir::Etc::PreferencesParts", join(base, "etc/preferences.d")),
    ...o("Dir::State::Lists", join(base, "lists")),
    ...o("Dir::State::status", join(image.dir, "var/lib/dpkg/status")),
    ...o("Dir::Cache", join(base, "cache")),
    ...o("Dir::Cache::archives", archives),
    ...o("Debug::NoLocking", "1"),
    ...o("APT::Sandbox::User", "root"),
    ...o("Acquire::Languages", "none"),
    "-q",
  ];
}
