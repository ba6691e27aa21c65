import { defineMetrics } from "../metrics/metricCatalog.js";

/** The HTTP server's metrics (both daemons). */
export const httpMetricDefs = defineMetrics({
  requests: {
    type: "counter",
    area: "http",
    name: "requests",
    help: "HTTP requests answered, by route and status",
    labelNames: ["method", "route", "status"],
  },
  requestDuration: {
    type: "histogram",
    area: "http",
    name: "request_duration",
    unit: "seconds",
    help: "Time to answer an HTTP request",
    labelNames: ["method", "route"],
  },
});
