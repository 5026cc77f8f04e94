// Configuration of the Prisma CLI (`npm run db:migrate`, `prisma migrate dev`). It uses the same driver adapters as
// the API: the embedded PGlite database in DATA_DIR when DATABASE_URL is unset, else the PostgreSQL server it names.
import { defineConfig } from 'prisma/config';
import { migrationAdapterFactory } from './apps/api/src/db/adapters.js';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: () => migrationAdapterFactory(process.env),
});
