import type { ResourceUnit } from "../engine/action.js";
import type { Resource } from "../engine/desired.js";
import { certificateUnit } from "./certificate.js";
import { commandUnit } from "./command.js";
import { directoryUnit } from "./directory.js";
import { fileUnit } from "./file.js";
import { packageUnit } from "./package.js";
import { serviceUnit } from "./service.js";

const UNITS: { [K in Resource["kind"]]: ResourceUnit<Extract<Resource, { kind: K }>> } = {
  package: packageUnit,
  file: fileUnit,
  directory: directoryUnit,
  service: serviceUnit,
  command: commandUnit,
  certificate: certificateUnit,
};

export function unitFor<R extends Resource>(r: R): ResourceUnit<R> {
  return UNITS[r.kind] as unknown as ResourceUnit<R>;
}
