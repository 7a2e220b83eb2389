/**
 * @module The API document (/openapi.json) and its docs page (/docs) with swagger-ui served by the box
 * itself from the swagger-ui-dist package (embedded in the binary), so the page works offline.
 */
import { Elysia } from 'elysia';
import { openapi } from '@elysiajs/openapi';
import swaggerJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import { AppError } from '../shared/errors';

const FILES: Record<string, { path: string; type: string }> = {
  'swagger-ui-bundle.js': { path: swaggerJs, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: swaggerCss, type: 'text/css; charset=utf-8' },
};

export const docsApi = (version: string) =>
  new Elysia({ name: 'api-docs' })
    .get(
      '/docs/assets/:name',
      ({ params, set }) => {
        const f = FILES[params.name];
        if (!f) throw new AppError('not_found', `no docs asset ${params.name}`);
        set.headers['content-type'] = f.type;
        set.headers['cache-control'] = 'public, max-age=86400';
        return Bun.file(f.path);
      },
      { detail: { hide: true } },
    )
    .use(
      openapi({
        path: '/docs',
        specPath: '/openapi.json',
        provider: 'swagger-ui',
        // Relative to /docs, so they also resolve under a proxy's sub-path; no validator badge (it calls out).
        swagger: {
          cdn: 'docs/assets/swagger-ui-bundle.js',
          theme: 'docs/assets/swagger-ui.css',
          validatorUrl: 'none',
          autoDarkMode: false,
        },
        exclude: { paths: ['/docs/assets/:name'] },
        documentation: {
          info: {
            title: 'fovea appliance API',
            version,
            description: 'Local image registry and similarity search of one fovea box.',
          },
          components: {
            securitySchemes: {
              apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
              bearer: { type: 'http', scheme: 'bearer' },
            },
          },
          security: [{ apiKey: [] }, { bearer: [] }],
        },
      }),
    );
