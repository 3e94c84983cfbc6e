/** What an edit did, as data: the new text and each value changed (for messages and templates). */

/** The object a change was made in, when the document is a Kubernetes object. */
export interface ObjectId {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface YamlChange {
  /** Where: `image.tag`, `images[name=web].newTag`, `spec.template.spec.containers[0].image`. */
  path: string;
  /** The value before (undefined: the key was added). */
  oldValue?: string;
  /** The value after (undefined: the key was removed). */
  newValue?: string;
  /** For setter markers: the setter, e.g. `flux-system:web:tag`. */
  setter?: string;
  object?: ObjectId;
}

export interface EditResult {
  /** The file's new text (the same string when nothing changed). */
  text: string;
  changes: YamlChange[];
}
