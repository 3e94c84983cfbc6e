/**
 * `spec.template.data`: Secret keys computed from the unsealed values. Sealed Secrets evaluates
 * these as Go templates (with Sprig); Sluice evaluates the part people use — substituting a
 * value — and refuses the rest by name instead of guessing:
 *
 *     {{ .password }}            the unsealed value of `password`
 *     {{ index . "db-password" }}  the same, for keys that are not identifiers
 *     {{- ... -}}                trims the whitespace before / after, as Go does
 *
 * A reference to a key encryptedData does not have is an error (Go would print "<no value>").
 */
import { SealedError } from './errors.ts';

const ACTION = /\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}/gs;
const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)$/;
const INDEX = /^index\s+\.\s+"((?:[^"\\]|\\.)*)"$/;

/** The value of one action, or a SealedError naming it. */
function lookup(action: string, values: ReadonlyMap<string, Buffer>, at: string): Buffer {
  const m = FIELD.exec(action) ?? INDEX.exec(action);
  if (!m) {
    throw new SealedError(
      'TemplateInvalid',
      `${at}: {{ ${action} }} is not supported; Sluice substitutes values only ({{ .key }} or {{ index . "key" }})`,
      { hint: 'compute the value before sealing it, or seal it as its own key' },
    );
  }
  const key = (m[1] ?? '').replace(/\\(.)/g, '$1');
  const value = values.get(key);
  if (value === undefined) {
    throw new SealedError(
      'TemplateInvalid',
      `${at}: {{ ${action} }} refers to "${key}", which spec.encryptedData does not have`,
      { hint: `seal a value under "${key}" or fix the template` },
    );
  }
  return value;
}

/** Evaluates one template string against the unsealed values; `at` names it in errors. */
export function renderTemplate(
  template: string,
  values: ReadonlyMap<string, Buffer>,
  at: string,
): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  let trimNext = false;
  for (const m of template.matchAll(ACTION)) {
    let text = template.slice(last, m.index);
    if (trimNext) text = text.trimStart();
    if (m[1]) text = text.trimEnd();
    parts.push(Buffer.from(text, 'utf8'), lookup(m[2] ?? '', values, at));
    trimNext = m[3] !== undefined;
    last = m.index + m[0].length;
  }
  let rest = template.slice(last);
  if (trimNext) rest = rest.trimStart();
  if (rest.includes('{{')) {
    throw new SealedError('TemplateInvalid', `${at}: an unclosed "{{" in the template`);
  }
  parts.push(Buffer.from(rest, 'utf8'));
  return Buffer.concat(parts);
}
