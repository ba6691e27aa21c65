/** snarkjs' JSON form of a Groth16 proof (decimal strings, projective coordinates with z = 1). */
export type SnarkjsGroth16Proof = {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: "groth16";
  curve: string;
};

/** snarkjs' verification key JSON (`verification_key.json`), Groth16 over BN254. */
export type Groth16VerificationKey = {
  protocol: "groth16";
  curve: string;
  nPublic: number;
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  vk_alphabeta_12?: unknown;
  IC: string[][];
};
