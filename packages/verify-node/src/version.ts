/** The opg-verify version reported by `--version` and `/health`. */
export const VERSION = "0.1.0";
