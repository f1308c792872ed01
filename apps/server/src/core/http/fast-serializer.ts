import fastJson from 'fast-json-stringify';
import { z } from 'zod';

/*
 * A route-level response serializer compiled by fast-json-stringify from the route's own zod
 * schema (`z.toJSONSchema`, output side), for the few hot routes where the default zod serializer
 * (encode, then JSON.stringify) shows in the profile — GET /patients/:id/dossier
 * (docs/design/patients-and-dossiers.md §6.2). The route keeps its zod schema, so OpenAPI and the
 * handler's types are unchanged; only the serialisation differs. Like the zod serializer it
 * writes nothing the schema does not name (additional properties are dropped); unlike it, it does
 * not re-check formats and patterns of values the server produced itself.
 */

type JsonNode = Record<string, unknown>;

const isObject = (value: unknown): value is JsonNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The property every branch of a `oneOf` pins to a constant (zod's discriminated unions), if any. */
function discriminatorOf(branches: JsonNode[]): string | null {
  const first = branches[0]?.properties;
  if (!isObject(first)) return null;
  for (const key of Object.keys(first)) {
    if (branches.every((branch) => isObject(branch.properties) && isObject(branch.properties[key]) && (branch.properties[key] as JsonNode).const !== undefined)) return key;
  }
  return null;
}

/**
 * fast-json-stringify picks a `oneOf` branch by validating the value against every branch (ajv,
 * patterns included): for a 20-entry dossier page that costs more than the zod serializer. A
 * discriminated union becomes an if/then chain on its constant instead — one cheap check per
 * branch — ending in the original `oneOf`, so a value of no known kind still fails loudly.
 */
export function withDiscriminatorChains(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withDiscriminatorChains);
  if (!isObject(node)) return node;
  const out: JsonNode = {};
  for (const [key, value] of Object.entries(node)) out[key] = withDiscriminatorChains(value);
  const branches = out.oneOf;
  if (!Array.isArray(branches) || !branches.every((branch) => isObject(branch) && branch.type === 'object')) return out;
  const key = discriminatorOf(branches as JsonNode[]);
  if (!key) return out;
  let chain: JsonNode = { oneOf: branches };
  for (const branch of [...(branches as JsonNode[])].reverse()) {
    const value = ((branch.properties as JsonNode)[key] as JsonNode).const;
    chain = { if: { type: 'object', properties: { [key]: { const: value } }, required: [key] }, then: branch, else: chain };
  }
  delete out.oneOf;
  return { ...out, ...chain };
}

/** The JSON Schema fast-json-stringify compiles for a zod response schema. */
export function serializationSchemaOf(schema: z.ZodType): JsonNode {
  return withDiscriminatorChains(z.toJSONSchema(schema, { target: 'draft-7', io: 'output' })) as JsonNode;
}

/** Compiled once per schema and process (tens of milliseconds each; every app build asks again). */
const compiled = new WeakMap<z.ZodType, (data: unknown) => string>();

/** `serializerCompiler` for a route whose response schemas are zod schemas. */
export const fastJsonSerializerCompiler = ({ schema }: { schema: unknown }): ((data: unknown) => string) => {
  if (!(schema instanceof z.ZodType)) throw new Error('fastJsonSerializerCompiler needs a zod response schema');
  let serialize = compiled.get(schema);
  if (!serialize) {
    serialize = fastJson(serializationSchemaOf(schema) as unknown as Parameters<typeof fastJson>[0]);
    compiled.set(schema, serialize);
  }
  return serialize;
};
