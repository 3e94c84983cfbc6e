/**
 * The smallest `Reflect` metadata API that @peculiar/x509's dependency injection (tsyringe)
 * checks for at load time; the `reflect-metadata` package is not installed. Import this before
 * @peculiar/x509. Metadata is kept per object and key in a WeakMap; nothing else is patched.
 */
type Store = Map<string | symbol, unknown>;
const stores = new WeakMap<object, Map<string | symbol | undefined, Store>>();

function store(
  target: object,
  prop: string | symbol | undefined,
  create: boolean,
): Store | undefined {
  let byProp = stores.get(target);
  if (byProp === undefined) {
    if (!create) return undefined;
    byProp = new Map();
    stores.set(target, byProp);
  }
  let s = byProp.get(prop);
  if (s === undefined && create) {
    s = new Map();
    byProp.set(prop, s);
  }
  return s;
}

function getOwn(key: string | symbol, target: object, prop?: string | symbol): unknown {
  return store(target, prop, false)?.get(key);
}

function get(key: string | symbol, target: object, prop?: string | symbol): unknown {
  for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
    const v = getOwn(key, t, prop);
    if (v !== undefined) return v;
  }
  return undefined;
}

const api = {
  defineMetadata(
    key: string | symbol,
    value: unknown,
    target: object,
    prop?: string | symbol,
  ): void {
    store(target, prop, true)?.set(key, value);
  },
  getOwnMetadata: getOwn,
  getMetadata: get,
  hasOwnMetadata: (key: string | symbol, target: object, prop?: string | symbol): boolean =>
    getOwn(key, target, prop) !== undefined,
  hasMetadata: (key: string | symbol, target: object, prop?: string | symbol): boolean =>
    get(key, target, prop) !== undefined,
  metadata:
    (key: string | symbol, value: unknown) =>
    (target: object, prop?: string | symbol): void =>
      api.defineMetadata(key, value, target, prop),
};

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R['getMetadata'] !== 'function') Object.assign(R, api);
