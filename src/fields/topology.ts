// Who has a BGP session with whom: one rule for the agent (which sessions it configures), verify
// (which cells of the matrix need a B) and status (how many sessions a host should have).
//
// Without route reflectors every mesh node peers with every other one (a full mesh: N×(N−1)/2
// sessions). With them, an ordinary node (a client) peers only with the reflectors, and the
// reflectors peer with everyone: about 2×N sessions in all with two reflectors.

export type BgpRole = "mesh" | "reflector" | "client";

/** A node's role: a reflector, or, when the mesh has reflectors, their client; else a full-mesh node. */
export function bgpRole(isReflector: boolean, reflectorCount: number): BgpRole {
  if (isReflector) return "reflector";
  return reflectorCount > 0 ? "client" : "mesh";
}

/** Whether two nodes of these roles have a session: every pair but two clients. */
export function hasSession(a: BgpRole, b: BgpRole): boolean {
  return !(a === "client" && b === "client");
}

/** Beyond this many nodes a full mesh is worth a warning: N×(N−1)/2 sessions, each with BFD. */
export const FULL_MESH_WARN_NODES = 30;
