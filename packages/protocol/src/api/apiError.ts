import * as z from "zod";

/** Every error answer of both daemons' HTTP APIs. */
export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.string().optional(),
    retryable: z.boolean(),
  }),
});

export type ApiErrorBody = z.input<typeof apiErrorSchema>;
