// @peculiar/x509 registers its algorithms with tsyringe, which needs the `reflect-metadata` API
// installed before it loads; a side-effect import evaluates first.
import "reflect-metadata";

export * as x509 from "@peculiar/x509";
