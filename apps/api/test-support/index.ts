// Test helpers of @resnet-lab/api, for its own tests and the cross-package ones (`@resnet-lab/api/test-support`).
// Outside src/, so production code cannot import them (ESLint refuses it too).
export { blackPng, type BlackPngOptions } from './black-png.js';
export { fragmentBomb } from './fragment-bomb.js';
export { makeEmbeddedDataDir } from './embedded-data-dir.js';
export { createTestDatabase } from './test-database.js';
export { noisePng, startTestApi, stripesPng, type TestApi } from './test-api.js';
