/**
 * The fast path mechanism of the big batch routes (POST /v1/spend, POST
 * /v1/touchpoints). The zod schema stays each route's schema: it is the
 * OpenAPI document's source and it alone words the errors. But running it
 * over a 100,000-item batch costs several times what writing the items
 * costs, so the route's validator first asks a fast parser, which either
 * returns exactly what zod would return for a valid body, or null ("not
 * sure"), and then zod decides, errors and all. A fast parser can therefore
 * never accept what zod refuses, nor word an error differently; each one has
 * a property test that checks the first claim on generated bodies.
 */
import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema.js';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';

/** zod's verdict on string values of one field, each distinct value asked once (for fields whose values repeat across a batch). */
export class FieldJudge {
  private readonly verdicts = new Map<string, boolean>();
  constructor(private readonly schema: z.ZodType) {}

  accepts(value: unknown): value is string {
    if (typeof value !== 'string') return false;
    let verdict = this.verdicts.get(value);
    if (verdict === undefined) {
      const result = this.schema.safeParse(value);
      // Only a value that zod passes through unchanged may be copied as is.
      verdict = result.success && result.data === value;
      this.verdicts.set(value, verdict);
    }
    return verdict;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A route validator compiler: `fastParse` for the body, zod for the other parts and for any body it is not sure of. */
export function fastPathValidatorCompiler(fastParse: (body: unknown) => unknown) {
  return <S>(route: FastifyRouteSchemaDef<S>): FastifyValidationResult => {
    // Each part's schema is a zod schema; fastify types the route-level compiler by the whole route schema.
    const zodValidator = validatorCompiler(route as unknown as FastifyRouteSchemaDef<$ZodType>);
    if (route.httpPart !== 'body') return zodValidator;
    return (data: unknown) => {
      const fast = fastParse(data);
      return fast !== null ? { value: fast } : zodValidator(data);
    };
  };
}
