import { Type } from '@sinclair/typebox';

/** Shared schema pieces, so every route validates ids and reports errors the same way. */
export const Uuid = Type.String({ format: 'uuid', description: 'UUID' });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), reason: Type.String() }))),
  },
  { description: 'RFC 9457 problem details' },
);

/** Error responses every route may give; listed so the OpenAPI document shows them. */
export const Problems = {
  '4xx': { ...ProblemSchema, description: 'The request was refused; see detail and errors' },
};

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
