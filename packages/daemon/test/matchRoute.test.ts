import { describe, expect, it } from "vitest";
import { compileRoute, matchRoute } from "../src/index.js";

describe("matchRoute", () => {
  it("default", () => {
    const route = compileRoute("/v1/models/:modelId");
    expect(matchRoute(route, "/v1/models/0xabc")).toEqual({ modelId: "0xabc" });
    expect(matchRoute(route, "/v1/models/0xabc/")).toEqual({ modelId: "0xabc" });
  });

  it("behavior: literal segments, root and mismatches", () => {
    expect(matchRoute(compileRoute("/"), "/")).toEqual({});
    expect(matchRoute(compileRoute("/health"), "/healthz")).toBeUndefined();
    expect(matchRoute(compileRoute("/v1/models/:id"), "/v1/models")).toBeUndefined();
    expect(matchRoute(compileRoute("/v1/models/:id"), "/v1/models//")).toBeUndefined();
    expect(matchRoute(compileRoute("/a/:x"), "/a/%E0%A4%A")).toBeUndefined();
  });
});
