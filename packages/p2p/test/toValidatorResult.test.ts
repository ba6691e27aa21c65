import { TopicValidatorResult } from "@libp2p/gossipsub";
import { OpgError, ValidationError } from "@opg/protocol";
import { describe, expect, it } from "vitest";
import { toValidatorResult, validationErrorCode } from "../src/index.js";

class TestWireError extends ValidationError<"BAD_CBOR"> {
  constructor() {
    super("REJECT", "BAD_CBOR", "bad cbor");
  }
}

describe("toValidatorResult", () => {
  it("default: a REJECT ValidationError is a reject", () => {
    expect(toValidatorResult(new ValidationError("REJECT", "X", "x"))).toBe(TopicValidatorResult.Reject);
  });

  it("behavior: an IGNORE ValidationError is an ignore", () => {
    expect(toValidatorResult(new ValidationError("IGNORE", "DUPLICATE", "seen"))).toBe(
      TopicValidatorResult.Ignore,
    );
  });

  it("behavior: ValidationError subclasses keep their action", () => {
    expect(toValidatorResult(new TestWireError())).toBe(TopicValidatorResult.Reject);
  });

  it("behavior: anything else thrown is a reject", () => {
    for (const thrown of [
      new TypeError("bug"),
      new OpgError("RPC", "rpc down"),
      "string",
      undefined,
      null,
      42,
    ]) {
      expect(toValidatorResult(thrown)).toBe(TopicValidatorResult.Reject);
    }
  });

  it("behavior: an action outside REJECT/IGNORE is a reject", () => {
    const odd = new ValidationError("ACCEPT" as "REJECT", "ODD", "odd");
    expect(toValidatorResult(odd)).toBe(TopicValidatorResult.Reject);
  });
});

describe("validationErrorCode", () => {
  it("default", () => {
    expect(validationErrorCode(new TestWireError())).toBe("BAD_CBOR");
    expect(validationErrorCode(new Error("x"))).toBe("UNEXPECTED");
    expect(validationErrorCode("x")).toBe("UNEXPECTED");
  });
});
