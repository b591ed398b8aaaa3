// What one probe saw on a host: plain data. The host-wide facts are the engine's; what it saw for
// each resource stays as the lines its kind's probe printed, which that kind reads when it plans.

export interface Observed {
  hostname: string;
  systemd: boolean;
  /** handlers an earlier, interrupted run owes */
  pendingHandlers: string[];
  /** by handler index: the answer of its `serial` test */
  serialHandlers: Record<number, boolean>;
  /** by resource index: its probe lines (`R\t<index>\t...`), split on tabs after the index */
  lines: Record<number, string[][]>;
}
