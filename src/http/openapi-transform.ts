// Rules applied to the whole generated OpenAPI document, so every route — including ones added
// later — gets them without repeating itself:
// - a response schema carrying `contentMediaType` (see `mediaResponse`) is declared under that media
//   type (.eml, attachment bytes, /metrics text, OAuth HTML pages), never as application/json;
// - error responses (a $ref to Problem) are application/problem+json;
// - every operation with a request body declares 415 (the body was not application/json);
// - a union of string literals becomes one `enum` (Swagger UI offered only the first value), and a
//   single-member anyOf is unwrapped into its member;
// - a query parameter with a default is not required (the server fills it in).
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const problemRef = '#/components/schemas/Problem';

/** Unions of literals → enum; single-member anyOf → the member (keeping description/default). */
function simplify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(simplify);
  if (!isObj(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = simplify(v);
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.every(isObj)) {
    const { anyOf: _drop, ...rest } = out;
    if (anyOf.length === 1) return { ...(anyOf[0] as Json), ...rest };
    const values = anyOf.map((m) =>
      Array.isArray(m.enum) &&
      m.enum.length === 1 &&
      Object.keys(m).every((x) => x === 'type' || x === 'enum')
        ? m
        : null,
    );
    const type = values[0]?.type;
    if (values.every((m) => m && m.type === type))
      return { type, enum: values.flatMap((m) => m!.enum as unknown[]), ...rest };
  }
  return out;
}

function fixResponses(op: Json): void {
  const responses = (op.responses ?? {}) as Record<string, Json>;
  for (const response of Object.values(responses)) {
    const content = response.content as Record<string, { schema?: Json }> | undefined;
    const schema = content?.['application/json']?.schema;
    if (!content || !schema) continue;
    if (typeof schema.contentMediaType === 'string') {
      const { contentMediaType, description, ...rest } = schema;
      const text = /^text\//.test(contentMediaType);
      response.content = {
        [contentMediaType]: {
          schema: text ? { type: 'string' } : { ...rest, type: 'string', format: 'binary' },
        },
      };
      if (
        typeof description === 'string' &&
        (response.description === 'Default Response' || !response.description)
      )
        response.description = description;
    } else if (schema.$ref === problemRef) {
      response.content = { 'application/problem+json': { schema } };
    }
  }
  if (op.requestBody && !responses['415']) {
    responses['415'] = {
      description: 'The body was not sent as application/json',
      content: { 'application/problem+json': { schema: { $ref: problemRef } } },
    };
  }
  op.responses = responses;
}

function fixParameters(op: Json): void {
  for (const p of (op.parameters ?? []) as Json[]) {
    if (p.in === 'query' && isObj(p.schema) && 'default' in p.schema) p.required = false;
  }
}

export function transformOpenapi(doc: Json): Json {
  const out = simplify(doc) as Json;
  for (const item of Object.values((out.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!isObj(op) || !['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
      fixResponses(op);
      fixParameters(op);
    }
  }
  return out;
}
