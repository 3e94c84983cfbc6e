/**
 * Image references for signatures (pure): which `verifyImages` rules an image falls under
 * (Kyverno's `imageReferences` wildcards: `*` any characters, `/` included; `?` one), and where
 * the image lives (registry, repository, tag or digest).
 *
 * @example
 * matchesReference('nginx:1.27', ['docker.io/library/*']) // true: matched in its full form too
 * imageLocation('localhost:5000/shop/web:v1') // { name: 'localhost:5000/shop/web', tag: 'v1', ... }
 */
import { parseImageRef, SetImageError } from '../../delivery/setimage/index.ts';
import { repositoryAddress, type RepositoryAddress } from '../../delivery/images/reference.ts';
import { SignatureError } from './errors.ts';

/** `nginx` → `docker.io/library/nginx:latest`; a reference with a registry keeps its own. */
export function fullReference(image: string): string {
  const at = image.indexOf('@');
  const rest = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at) : '';
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon) : digest ? '' : ':latest';
  const first = name.split('/')[0] ?? '';
  const hasHost = name.includes('/') && (first === 'localhost' || /[.:]/.test(first));
  const full = hasHost ? name : `docker.io/${name.includes('/') ? name : `library/${name}`}`;
  return `${full}${tag}${digest}`;
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** True when a pattern matches the image as written or in its full form. */
export function matchesReference(image: string, patterns: readonly string[]): boolean {
  const forms = [image, fullReference(image)];
  return patterns.some((p) => {
    const re = globToRegExp(p);
    return forms.some((f) => re.test(f));
  });
}

/** Where an image lives and what it names. */
export interface ImageLocation {
  /** As written. */
  image: string;
  /** Repository, as written: `localhost:5000/shop/web`. */
  name: string;
  tag?: string;
  digest?: string;
  address: RepositoryAddress;
}

/** Splits an image reference; InvalidImage when it is not one. */
export function imageLocation(image: string, insecure: boolean): ImageLocation {
  let ref;
  try {
    ref = parseImageRef(image);
  } catch (err) {
    if (err instanceof SetImageError)
      throw new SignatureError('InvalidImage', err.message, {
        exitCode: 2,
        ...(err.hint ? { hint: err.hint } : {}),
      });
    throw err;
  }
  const address = repositoryAddress(ref.name, insecure);
  if (!address)
    throw new SignatureError('InvalidImage', `image "${image}": not a repository name`, {
      exitCode: 2,
      hint: 'write it as registry/path/name:tag, or @sha256:<digest>',
    });
  return {
    image,
    name: ref.name,
    address,
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
  };
}
