import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { currentDefinition, currentDefinitions, definitionVersions, findDefinition, publishDefinition, retireDefinition, type StoredDefinition } from './definitions.ts';
import { publishedSchema } from './definition/schema.ts';

const ServiceId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });
const Version = Type.Integer({ minimum: 1, maximum: 1_000_000 });

const Summary = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  status: Type.String(),
  agency: Type.String(),
  title: Type.Record(Type.String(), Type.String()),
  publishedAt: Type.String({ format: 'date-time' }),
});

function summary(d: StoredDefinition) {
  return { id: d.serviceId, version: d.version, status: d.status, agency: d.document.agency, title: d.document.title, publishedAt: d.publishedAt.toISOString() };
}

/** Publishing, reading, retiring and rolling back service definitions; and their JSON Schema. */
export function definitionRoutes(db: Db, jobs: JobQueue, baseUrl: string) {
  return async (app: App) => {
    // YAML is the friendliest way to write a definition; JSON works too.
    app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer));
      } catch {
        done(Problem.badRequest('The definition is not valid UTF-8.'));
      }
    });

    app.get('/schemas/service-definition.json', {
      config: { access: access.public },
      schema: { summary: 'JSON Schema of service definitions', tags: ['registration'] },
      handler: async (_request, reply) => reply.type('application/schema+json').send(publishedSchema(baseUrl)),
    });

    app.get('/api/registration/definitions', {
      config: { access: access.public },
      schema: { summary: 'Services that can be applied for: the current version of each definition', tags: ['registration'], response: { 200: Type.Array(Summary) } },
      handler: async () => (await currentDefinitions(db)).map(summary),
    });

    app.get('/api/registration/definitions/:id', {
      config: { access: access.public },
      schema: {
        summary: 'The current definition of a service, and its versions',
        tags: ['registration'],
        params: Type.Object({ id: ServiceId }, { additionalProperties: false }),
        response: { 200: Type.Object({ definition: Type.Unknown(), versions: Type.Array(Type.Object({ version: Type.Integer(), status: Type.String(), publishedAt: Type.String(), retiredAt: Type.Union([Type.String(), Type.Null()]) })) }), ...Problems },
      },
      handler: async (request) => {
        const current = await currentDefinition(db, request.params.id);
        if (!current) throw Problem.notFound('No published service has this id.');
        const versions = await definitionVersions(db, request.params.id);
        return { definition: current.document, versions: versions.map((v) => ({ version: v.version, status: v.status, publishedAt: v.publishedAt.toISOString(), retiredAt: v.retiredAt?.toISOString() ?? null })) };
      },
    });

    app.get('/api/registration/definitions/:id/versions/:version', {
      config: { access: access.public },
      schema: { summary: 'One version of a definition', tags: ['registration'], params: Type.Object({ id: ServiceId, version: Version }, { additionalProperties: false }), response: { 200: Type.Unknown(), ...Problems } },
      handler: async (request) => {
        const stored = await findDefinition(db, request.params.id, request.params.version);
        if (!stored) throw Problem.notFound('No such version of this service.');
        return stored.document;
      },
    });

    app.post('/api/registration/definitions', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: 'Publish a service definition (JSON, or YAML with Content-Type application/yaml); problems name their JSON pointer and, for YAML, line and column',
        tags: ['registration'],
        body: Type.Unknown(),
        response: { 200: Summary, 201: Summary, ...Problems },
      },
      handler: async (request, reply) => {
        const input = typeof request.body === 'string' ? { source: request.body } : { data: request.body };
        const { definition, created } = await publishDefinition(db, jobs, input, requirePrincipal(request), request.id);
        return reply.code(created ? 201 : 200).send(summary(definition));
      },
    });

    app.post('/api/registration/definitions/:id/versions/:version/retire', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: 'Retire a version; new applications use the highest version still published (roll back by retiring the newest)',
        tags: ['registration'],
        params: Type.Object({ id: ServiceId, version: Version }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        await retireDefinition(db, jobs, request.params.id, request.params.version, requirePrincipal(request), request.id);
        return reply.code(204).send(null);
      },
    });
  };
}
