pragma circom 2.1.0;

// opg circuit templates: fixed-point arithmetic for ONNX models compiled by @opg/zk.
//
// Numbers: a real x is the integer q = round(x * 2^S) (scale 2^S). Negative integers are field
// elements p - |q|. Every value that leaves a layer is range-checked to [-2^(V-1), 2^(V-1)),
// so all integer arithmetic below stays far from p and field equalities are integer equalities.
//
// Templates need circomlib (bitify, poseidon) on the include path.

include "bitify.circom";
include "poseidon.circom";

// floor(in / 2^S) for a signed `in` with |in| < 2^(V-1+S) (scale 2S -> scale S).
//   in === q * 2^S + r,  r in [0, 2^S) (Num2Bits(S)),  q + 2^(V-1) in [0, 2^V) (Num2Bits(V)).
// The decomposition is unique, so q is exactly the floor division. `nonNeg` is 1 iff q >= 0
// (the top bit of q + 2^(V-1)), free for a following ReLU.
template RescaleSigned(S, V) {
    signal input in;
    signal output out;
    signal output nonNeg;

    signal q;
    signal r;
    // Witness only: shift into [0, 2^(V+S)) so that >> and & act on small non-negative integers.
    q <-- ((in + 2 ** (V - 1 + S)) >> S) - 2 ** (V - 1);
    r <-- (in + 2 ** (V - 1 + S)) & (2 ** S - 1);
    in === q * 2 ** S + r;

    component rBits = Num2Bits(S);
    rBits.in <== r;
    component qBits = Num2Bits(V);
    qBits.in <== q + 2 ** (V - 1);

    out <== q;
    nonNeg <== qBits.out[V - 1];
}

// ReLU(floor(in / 2^S)): RescaleSigned followed by out = q * nonNeg (one more constraint).
template RescaleRelu(S, V) {
    signal input in;
    signal output out;

    component rs = RescaleSigned(S, V);
    rs.in <== in;
    out <== rs.out * rs.nonNeg;
}

// ReLU of a signed value with |in| < 2^B: the top bit of in + 2^B is the sign.
template ReluSigned(B) {
    signal input in;
    signal output out;

    component bits = Num2Bits(B + 1);
    bits.in <== in + 2 ** B;
    out <== in * bits.out[B];
}

// Poseidon commitment to a vector of N field elements: chained PoseidonEx over blocks of 16,
//   h_0 = 0,  h_k = PoseidonEx(block_k, initialState = h_(k-1)).out[0],  commitment = h_last.
// The last block holds the N mod 16 remaining elements when 16 does not divide N.
// For N <= 16 this is exactly circomlib's Poseidon(N).
template VectorCommit(N) {
    signal input in[N];
    signal output out;

    var FULL = N \ 16;
    var REST = N % 16;
    var NB = FULL + (REST > 0 ? 1 : 0);
    signal chain[NB + 1];
    chain[0] <== 0;

    component full[FULL];
    for (var b = 0; b < FULL; b++) {
        full[b] = PoseidonEx(16, 1);
        full[b].initialState <== chain[b];
        for (var i = 0; i < 16; i++) {
            full[b].inputs[i] <== in[16 * b + i];
        }
        chain[b + 1] <== full[b].out[0];
    }
    if (REST > 0) {
        component last = PoseidonEx(REST, 1);
        last.initialState <== chain[FULL];
        for (var i = 0; i < REST; i++) {
            last.inputs[i] <== in[16 * FULL + i];
        }
        chain[NB] <== last.out[0];
    }
    out <== chain[NB];
}
