// The resources a host's probe and plan go through: its desired ones in order, with those of a
// kind that merges (packages: one apt transaction) made one, at the place of the first.
import type { DesiredHost, Resource } from "../model/resource.js";
import { kindOf } from "../resources/registry.js";
import type { ResourceKind } from "../resources/kind.js";

export interface Prepared {
  /** the resource's index in the host's desired state */
  index: number;
  resource: Resource;
  kind: ResourceKind;
}

export function prepare(desired: DesiredHost): Prepared[] {
  const out: Prepared[] = [];
  const merged = new Set<string>();
  desired.resources.forEach((resource, index) => {
    const kind = kindOf(resource.kind);
    if (!kind.merge) return out.push({ index, resource, kind });
    if (merged.has(kind.kind)) return;
    merged.add(kind.kind);
    out.push({ index, resource: kind.merge(desired.resources.filter((r) => r.kind === kind.kind)), kind });
  });
  return out;
}
