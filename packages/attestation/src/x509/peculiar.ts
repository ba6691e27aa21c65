// The shim must run before @peculiar/x509 (and tsyringe) load; a side-effect import evaluates first.
import "./reflectMetadataShim.js";

export * as x509 from "@peculiar/x509";
