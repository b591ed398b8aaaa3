// The inventory layer's public surface; other parts of the tool import from here, not from the files.
export { connectionOf, CONNECTION_VARS, type Connection } from "./connection.js";
export { describeValue, InventoryError, type SourcePos } from "./errors.js";
export { parseExtraVars, type ExtraVarsOptions } from "./extra-vars.js";
export { loadInventory, type LoadOptions } from "./load.js";
export {
  getGroup,
  getHost,
  groupsOf,
  hostsOf,
  type Group,
  type Host,
  type Inventory,
  type VarDef,
  type VarLevel,
  type VarOrigin,
  type VarSet,
} from "./model.js";
export { inventoryRedactor, inventoryVarsOf, resolveHostVars, varValues, type ResolvedHostVars } from "./resolve.js";
export { collectSecrets, maskSecrets, redact, REDACTED, Redactor, Secret } from "./secret.js";
export { describeOrigin, hostVarsYaml, inventoryList } from "./show.js";
export { readVarsFile } from "./vars-dirs.js";
// `secrets edit` and `secrets encrypt` check text the way the inventory will read it.
export { parseSecretVars } from "./encrypted-vars.js";
// For other YAML files read the same way (role files, site.yml): positions, errors and secret tags alike.
export { NAME_PATTERN } from "./model.js";
export { readVarsNode } from "./vars.js";
export { keyName, posOf, readYamlFile, toValue, type YamlSource } from "./yaml-source.js";
