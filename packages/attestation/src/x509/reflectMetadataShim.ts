/**
 * `@peculiar/x509` registers its algorithms with tsyringe, which refuses to load unless the
 * `reflect-metadata` API exists (`Reflect.getMetadata`, `getOwnMetadata`, `defineMetadata`).
 * This installs a minimal, spec-compatible subset of that API, only where none is present, so the
 * package needs no extra dependency. A real `reflect-metadata` loaded later simply replaces it;
 * tsyringe has read what it needs by then.
 */
type MetadataStore = WeakMap<object, Map<PropertyKey | undefined, Map<unknown, unknown>>>;

type ReflectWithMetadata = typeof Reflect & {
  getMetadata?: (key: unknown, target: object, property?: PropertyKey) => unknown;
  getOwnMetadata?: (key: unknown, target: object, property?: PropertyKey) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object, property?: PropertyKey) => void;
  hasMetadata?: (key: unknown, target: object, property?: PropertyKey) => boolean;
  hasOwnMetadata?: (key: unknown, target: object, property?: PropertyKey) => boolean;
};

const reflect = Reflect as ReflectWithMetadata;

if (typeof reflect.getMetadata !== "function") {
  const store: MetadataStore = new WeakMap();
  const own = (target: object, property: PropertyKey | undefined, create: boolean) => {
    let byProperty = store.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let entries = byProperty.get(property);
    if (!entries && create) {
      entries = new Map();
      byProperty.set(property, entries);
    }
    return entries;
  };
  const hasOwn = (key: unknown, target: object, property?: PropertyKey) =>
    own(target, property, false)?.has(key) ?? false;
  const getOwn = (key: unknown, target: object, property?: PropertyKey) =>
    own(target, property, false)?.get(key);
  const has = (key: unknown, target: object, property?: PropertyKey): boolean => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
      if (hasOwn(key, t, property)) return true;
    }
    return false;
  };
  reflect.defineMetadata = (key, value, target, property) => {
    own(target, property, true)?.set(key, value);
  };
  reflect.hasOwnMetadata = hasOwn;
  reflect.getOwnMetadata = getOwn;
  reflect.hasMetadata = has;
  reflect.getMetadata = (key, target, property) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
      if (hasOwn(key, t, property)) return getOwn(key, t, property);
    }
    return undefined;
  };
}
