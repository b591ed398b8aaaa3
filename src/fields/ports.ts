// TCP and UDP ports (tinc's, the agent's metrics port).
import { z } from "zod";

export const portField = z
  .number({ error: "must be a port number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be a port from 1 to 65535" })
  .max(65535, { error: "must be a port from 1 to 65535" });
