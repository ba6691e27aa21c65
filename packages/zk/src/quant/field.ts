/** The BN254 scalar field order: circuits compute modulo this prime. */
export const FIELD_ORDER = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** A signed integer as a field element: v mod p in [0, p) (negative v becomes p - |v|). */
export function toField(value: bigint): bigint {
  const r = value % FIELD_ORDER;
  return r < 0n ? r + FIELD_ORDER : r;
}

/** A field element read back as a signed integer: values above (p-1)/2 are negative. */
export function fromField(element: bigint): bigint {
  return element > FIELD_ORDER / 2n ? element - FIELD_ORDER : element;
}
