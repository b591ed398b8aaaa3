// Every resource kind and every role-file form, in one list each: the engine and the role loader
// look kinds up here, and a new kind is a module of its own plus one line in each list.
import { certificateForm, certificateKind, type CertificateResource } from "./certificate.js";
import { commandForm, commandKind, type CommandResource } from "./command.js";
import { directoryForm, directoryKind, type DirectoryResource } from "./directory.js";
import { fileKind, type FileResource } from "./file.js";
import { copyForm, templateForm } from "./file-forms.js";
import type { ResourceKind, RoleForm } from "./kind.js";
import { packageForm, packageKind, type PackageResource } from "./package.js";
import { serviceForm, serviceKind, type ServiceResource } from "./service.js";
import { sysctlForm, sysctlKind, type SysctlResource } from "./sysctl.js";

export type AnyResource = PackageResource | FileResource | DirectoryResource | ServiceResource | CommandResource | CertificateResource | SysctlResource;

// Each module types its own kind; here they are kept side by side, as the engine sees them.
const KINDS = new Map<string, ResourceKind>(
  ([packageKind, fileKind, directoryKind, serviceKind, commandKind, certificateKind, sysctlKind] as unknown as ResourceKind[]).map((k) => [k.kind, k]),
);

const FORMS = new Map<string, RoleForm>(
  ([packageForm, directoryForm, templateForm, copyForm, serviceForm, commandForm, certificateForm, sysctlForm] as unknown as RoleForm[]).map((f) => [f.key, f]),
);

/** The module of a resource's kind; a kind no module defines is a bug, not a user's mistake. */
export function kindOf(kind: string): ResourceKind {
  const k = KINDS.get(kind);
  if (!k) throw new Error(`internal: no resource kind '${kind}'`);
  return k;
}

export const formOf = (key: string): RoleForm | undefined => FORMS.get(key);

/** The keys a role file's `resources:` item may start with, in the order they are listed to users. */
export const FORM_KEYS: readonly string[] = [...FORMS.keys()];
