/** GET /v1/models (and /v1/models/:id): the task policies as OpenAI models, `cascade/<task>` and `auto`. */
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from './context';
import { notFound } from './errors';
import { listModelIds } from './translate';

const model = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'cascade-router' });

export function registerModels(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: listModelIds(ctx.cascade.config).map(model),
  }));
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (req) => {
    const id = req.params['*'];
    if (!listModelIds(ctx.cascade.config).includes(id)) {
      throw notFound(`The model "${id}" does not exist`, 'model_not_found', 'model');
    }
    return model(id);
  });
}
