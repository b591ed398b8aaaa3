// Settings whose default grows with the mesh: tinc's KeyExpire and the agent's lease TTL. Each is a
// per-node period of something every node (or etcd) pays for every other node, so at a fixed
// period the cost per node grows with the mesh and the mesh's total with its square.

/** A default's value for a mesh of up to `nodes` nodes. */
export interface SizeBase {
  readonly seconds: number;
  readonly nodes: number;
}

/**
 * `base.seconds` up to `base.nodes` nodes, doubled for each doubling of the mesh beyond (with base
 * 30 s / 30 nodes: 60 s up to 60 nodes, 120 s up to 120, 240 s up to 240), never above `max`.
 * Steps, not a slope, so that a node joining a mesh changes no other node's setting except at a
 * doubling.
 */
export function doubledPerDoubling(base: SizeBase, nodes: number, max: number): number {
  let seconds = base.seconds;
  for (let n = base.nodes; n < nodes; n *= 2) seconds *= 2;
  return Math.min(seconds, max);
}
